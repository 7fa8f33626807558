/**
 * Send a range of an open file into a writable (a data socket) through two recycled buffers from
 * the transfer buffer pool, one refilled while the other is written. Used by the server's
 * downloads (storage/local-download.ts, where the measurements are) and the client's uploads.
 *
 * Backpressure comes from the write callbacks: a buffer is refilled only after the destination has
 * taken it. Completion (the returned promise) means the destination finished; an error or close
 * of the destination, or the signal, rejects it at once with that reason.
 */
import { read, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { returnTransferBuffers, takeTransferBuffer } from './transfer-buffer-pool.js';

/**
 * When a read may run synchronously on the event loop instead of in the thread pool, and the
 * timing of such a call (the server's policy: file-io/inline-file-io.ts). Without one every read
 * goes through the thread pool.
 */
export interface InlineReadPolicy {
  readonly isAllowed: boolean;
  run<T>(call: () => T): T;
}

/**
 * Write bytes [start, end) of the file into `destination` and end it; the caller closes `fd`.
 * `onWritten` is called with the running total each time the destination took a chunk.
 */
export async function sendFileRange(
  fd: number,
  start: number,
  end: number,
  destination: Writable,
  signal: AbortSignal,
  inline: InlineReadPolicy | null = null,
  onWritten: ((bytesWritten: number) => void) | null = null,
): Promise<void> {
  // Settles when the destination finished, failed, closed early, or the signal fired. Finishing
  // before we ended it (someone else ended the socket) is a failure too: the file was not all sent.
  let isEnding = false;
  const destinationDone = finished(destination, { readable: false, signal }).then(() => {
    if (!isEnding) throw prematureClose();
  });
  destinationDone.catch(() => undefined); // observed below; a failure before then must not go unhandled
  // What a read races against: only the destination's failure (it cannot finish before we end it).
  const destinationFailed = destinationDone.then(neverSettles);
  destinationFailed.catch(() => undefined);
  let filling = takeTransferBuffer();
  let spare = takeTransferBuffer();
  let isReusable = false;
  try {
    let position = start;
    let previousWrite: Promise<void> = Promise.resolve();
    while (position < end) {
      const length = Math.min(filling.length, end - position);
      const bytesRead = inline?.isAllowed
        ? inline.run(() => readSync(fd, filling, 0, length, position))
        : await Promise.race([readAt(fd, filling, length, position), destinationFailed]);
      if (bytesRead === 0) break; // the file shrank meanwhile: send what there is
      position += bytesRead;
      await Promise.race([previousWrite, destinationDone]);
      previousWrite = writeChunk(destination, filling.subarray(0, bytesRead));
      if (onWritten) {
        const total = position - start;
        previousWrite = previousWrite.then(() => onWritten(total));
      }
      previousWrite.catch(() => undefined); // observed by the next race; the destination's own error rejects that too
      [filling, spare] = [spare, filling];
    }
    await Promise.race([previousWrite, destinationDone]);
    isEnding = true;
    destination.end();
    await destinationDone;
    // Only now is neither buffer referenced by a pending write.
    isReusable = true;
  } finally {
    if (isReusable) returnTransferBuffers(filling, spare);
  }
}

/** One pread(2) through the thread pool; the callback API costs less per call than FileHandle.read's promise. */
function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

function writeChunk(destination: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

function neverSettles(): Promise<never> {
  return new Promise(() => undefined);
}

function prematureClose(): Error {
  return Object.assign(new Error('data connection ended before the file was sent'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
