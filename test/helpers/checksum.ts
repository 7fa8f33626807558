/** SHA-256 helpers: every transfer in the tests is checked by size and hash. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex SHA-256 of a buffer. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Random bytes that include CR, LF and 0xFF so ASCII/Telnet mistakes show. */
export function randomPayload(size: number): Buffer {
  return randomBytes(size);
}
