/**
 * Recycled transfer buffers, shared by downloads (file -> socket) and uploads (socket -> file).
 * Why recycle: a buffer this large comes from mmap or fresh heap pages, so a new one page-faults
 * and is zeroed by the kernel on first use, and the garbage collector runs after the external
 * memory such buffers add up to. Reusing warm buffers avoids all three.
 */

/** Size of every pooled buffer. */
export const transferBufferBytes = 256 * 1024;
/**
 * Free buffers kept for reuse: 2 per concurrent download, 1 per upload. The pool must cover the
 * concurrency: with room for 64 and 100 sessions downloading 1 MiB files (bench `files`), most buffers were new
 * allocations whose pages fault and are zeroed on first use: 418-606 files/s at 1.75-2.93 ms of
 * server CPU each, against 662-912 files/s at 0.97-1.73 ms with room for 512.
 */
const maxPooledBuffers = 512;
/** Buffers the pool held through a whole interval unused are released (memory goes back after a burst). */
const poolTrimIntervalMs = 10_000;
const pool: Buffer[] = [];
/** The fewest buffers the pool held since the last trim: that many were not needed. */
let fewestPooledSinceTrim = 0;
let trimTimer: NodeJS.Timeout | null = null;

/** A buffer of transferBufferBytes, from the pool when one is free. Its contents are stale. */
export function takeTransferBuffer(): Buffer {
  const buffer = pool.pop() ?? Buffer.allocUnsafeSlow(transferBufferBytes);
  fewestPooledSinceTrim = Math.min(fewestPooledSinceTrim, pool.length);
  return buffer;
}

/** Give buffers back; only once nothing (a pending write, a socket read) refers to them any more. */
export function returnTransferBuffers(...buffers: Buffer[]): void {
  for (const buffer of buffers) if (pool.length < maxPooledBuffers) pool.push(buffer);
  if (trimTimer === null) {
    fewestPooledSinceTrim = pool.length;
    trimTimer = setTimeout(trimBufferPool, poolTrimIntervalMs);
    trimTimer.unref();
  }
}

/** Release the buffers that went unused for a whole interval; runs every interval while any are pooled. */
export function trimBufferPool(): void {
  if (trimTimer !== null) clearTimeout(trimTimer);
  trimTimer = null;
  pool.splice(0, fewestPooledSinceTrim);
  fewestPooledSinceTrim = pool.length;
  if (pool.length > 0) {
    trimTimer = setTimeout(trimBufferPool, poolTrimIntervalMs);
    trimTimer.unref();
  }
}

/** How many free buffers the pool holds (for tests). */
export function pooledBufferCount(): number {
  return pool.length;
}
