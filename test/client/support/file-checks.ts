/** Size and SHA-256 checks every transfer test uses, plus deterministic test content. */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** SHA-256 of a buffer, hex. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Size and SHA-256 of a file on disk. */
export async function fileDigest(path: string): Promise<{ size: number; sha256: string }> {
  const data = await readFile(path);
  return { size: data.length, sha256: sha256(data) };
}

/** Size and SHA-256 of a buffer, in the same shape as {@link fileDigest}. */
export function bufferDigest(data: Uint8Array): { size: number; sha256: string } {
  return { size: data.length, sha256: sha256(data) };
}

/** Random bytes: incompressible and with every byte value, so no transform can go unnoticed. */
export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}
