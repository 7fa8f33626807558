/** Small trees of random files for mirror/directory-transfer tests, compared by size and SHA-256. */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomPayload, sha256, sha256File } from './checksum.js';

/** Relative path (with `/`) → { size, sha256 } of every regular file. */
export type TreeManifest = Record<string, { size: number; sha256: string }>;

/** Write files of the given sizes under `root` (paths relative, `/`-separated); returns the manifest. */
export async function writeTree(root: string, files: Record<string, number>): Promise<TreeManifest> {
  const manifest: TreeManifest = {};
  for (const [relativePath, size] of Object.entries(files)) {
    const payload = randomPayload(size);
    const path = join(root, ...relativePath.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, payload);
    manifest[relativePath] = { size, sha256: sha256(payload) };
  }
  return manifest;
}

/** Size and SHA-256 of every regular file under `root`, keyed by relative `/` path. */
export async function readTree(root: string): Promise<TreeManifest> {
  const manifest: TreeManifest = {};
  const walk = async (directory: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      const relativePath = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path, relativePath);
      else if (entry.isFile()) manifest[relativePath] = { size: (await stat(path)).size, sha256: await sha256File(path) };
    }
  };
  await walk(root, '');
  return manifest;
}

/** Size and SHA-256 of one file. */
export async function describeFile(path: string): Promise<{ size: number; sha256: string }> {
  return { size: (await stat(path)).size, sha256: await sha256File(path) };
}
