/** Temporary directories for tests, removed when the test ends. */
import { mkdtemp, rm, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Create a fresh directory (real path, symlinks resolved) removed after the test. */
export async function makeTempDir(t: TestContext, prefix = 'ferry-test-'): Promise<string> {
  const directory = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  // Best effort: a failing cleanup must not stop the other cleanup hooks (servers, mounts) from running.
  t.after(() => rm(directory, { recursive: true, force: true }).catch(() => undefined));
  return directory;
}
