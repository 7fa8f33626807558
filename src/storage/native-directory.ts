/**
 * The optional native helper (native/read_directory.c, built by node-gyp at install): read a
 * directory and lstat every entry with fstatat(2) on thread-pool threads, answered as one
 * Float64Array. When it was not built (no compiler, Windows) or FERRY_NATIVE=0 is set,
 * `nativeDirectoryReader()` is null and listings read and lstat from JavaScript instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the addon exports. */
export interface NativeDirectoryReader {
  /** Numbers per entry in `stats`: mode (-1: could not be stat'ed), size, mtimeMs, dev, ino. */
  readonly fieldsPerEntry: number;
  /**
   * The entries of `directory` (without "." and "..", sorted like fs.readdir) as their names
   * joined with "\0", and their lstat numbers; rejects (error.code "ENOENT", "EACCES", ...) if the
   * directory cannot be read.
   */
  readDirectory(directory: string): Promise<{ count: number; names: string; stats: Float64Array }>;
}

const addonFile = path.join('build', 'Release', 'ferry_native.node');

/** The package root: the nearest folder above this module holding binding.gyp (from src/storage or dist/src/storage). */
function packageRoot(): string | null {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(path.join(folder, 'binding.gyp'))) return folder;
    folder = path.dirname(folder);
  }
  return null;
}

function load(): NativeDirectoryReader | null {
  if (process.env['FERRY_NATIVE'] === '0') return null;
  const root = packageRoot();
  if (root === null || !existsSync(path.join(root, addonFile))) return null;
  try {
    const addon = createRequire(import.meta.url)(path.join(root, addonFile)) as NativeDirectoryReader;
    return typeof addon.readDirectory === 'function' && addon.fieldsPerEntry === 5 ? addon : null;
  } catch {
    return null; // built for another Node ABI or platform: the JavaScript path serves
  }
}

const loaded = load();
let enabled = true;

/** The native helper, or null when it is not available (or turned off for a test). */
export function nativeDirectoryReader(): NativeDirectoryReader | null {
  return enabled ? loaded : null;
}

/** Whether the addon was built and loads (whatever a test turned off). */
export function isNativeDirectoryReaderBuilt(): boolean {
  return loaded !== null;
}

/** Tests: list directories with or without the native helper. */
export function setNativeDirectoryReaderEnabledForTest(value: boolean): void {
  enabled = value;
}
