/** A small tmpfs mounted for one test (a full disk, a mount inside a served tree). Needs root. */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { TestContext } from 'node:test';

/**
 * Create `mountPoint` and mount a tmpfs of `size` there. Resolves with an idempotent unmount, also
 * registered as a cleanup; or null (the test is marked skipped) when mounting is not allowed.
 * Register it after anything that must still see the mount during cleanup (hooks run in order).
 */
export async function mountSmallTmpfs(t: TestContext, mountPoint: string, size = '1m'): Promise<(() => void) | null> {
  await mkdir(mountPoint, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    t.skip('mounting a tmpfs needs root; run as root (CI does)');
    return null;
  }
  let isMounted = true;
  const unmount = (): void => {
    if (isMounted) execFileSync('umount', ['-l', mountPoint]);
    isMounted = false;
  };
  t.after(unmount);
  return unmount;
}
