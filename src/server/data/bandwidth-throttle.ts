/**
 * Bandwidth throttling for one transfer: a Transform that releases bytes no faster than the cap.
 * Chunks are cut into slices of at most 1/10 s worth of bytes so a 256 KiB read does not burst.
 * Backpressure is kept: the next chunk is not accepted until the current one was released.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Create a throttle for `bytesPerSecond` (> 0). */
export function createBandwidthThrottle(bytesPerSecond: number): Transform {
  const sliceBytes = Math.max(1024, Math.floor(bytesPerSecond / 10));
  const startedAt = Date.now();
  let releasedBytes = 0;
  const throttle = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let offset = 0;
      const releaseNext = () => {
        if (throttle.destroyed) return;
        if (offset >= chunk.length) {
          callback();
          return;
        }
        const slice = chunk.subarray(offset, offset + sliceBytes);
        offset += slice.length;
        releasedBytes += slice.length;
        throttle.push(slice);
        const dueAtMs = startedAt + (releasedBytes / bytesPerSecond) * 1000;
        const waitMs = dueAtMs - Date.now();
        if (waitMs > 1) setTimeout(releaseNext, waitMs);
        else releaseNext();
      };
      releaseNext();
    },
  });
  return throttle;
}

/** The effective caps for a session: the account's own when set, else the server-wide ones. 0 = unlimited. */
export function effectiveBandwidth(
  serverWide: { readonly uploadBytesPerSecond: number; readonly downloadBytesPerSecond: number },
  account: { readonly bandwidth?: { readonly uploadBytesPerSecond: number; readonly downloadBytesPerSecond: number } },
): { uploadBytesPerSecond: number; downloadBytesPerSecond: number } {
  return { ...(account.bandwidth ?? serverWide) };
}
