/**
 * A local file opened for a download: as a read stream, or sent straight into a writable (a data
 * socket) through two recycled read buffers.
 *
 * Why not `pipeline(createReadStream(...), socket)`: a read stream allocates a fresh buffer for
 * every chunk. Those buffers are large enough that malloc maps new pages for each one, so every
 * read(2) also page-faults and zero-fills 256 KiB, and the garbage collector runs after the external
 * memory they add up to. Profiled on the 1 MiB download workload (bench `files`), that was a fifth
 * of the server's CPU; with two buffers per transfer, taken from a small pool and refilled while
 * the other one is being written, server CPU per 1 MiB download fell from ~2.6 ms to ~2.1 ms.
 * This is the stand-in for vsftpd's sendfile(2), which Node does not offer.
 *
 * Backpressure comes from the write callbacks: a buffer is refilled only after the socket has
 * taken it. Completion (the returned promise) means the writable finished; an error or close of
 * the writable, or the signal, rejects it at once with that reason.
 */
import { close, closeSync, createReadStream, read, readSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { InlineFileIo } from './inline-file-io.js';
import type { DownloadSource } from './storage.js';
import { returnTransferBuffers, takeTransferBuffer, transferBufferBytes } from './transfer-buffer-pool.js';

/** Size of each read, on both paths. */
const chunkBytes = transferBufferBytes;

/**
 * An open file and the size fstat gave for it. Reading stops at that size: no extra read(2) to
 * discover end-of-file, and a file that grows meanwhile is sent as the 150 reply announced it.
 */
export class LocalDownload implements DownloadSource {
  #stream: Readable | null = null;
  #isUsed = false;

  /** Takes ownership of `fd`: it is closed when the download ends, however it ends. */
  constructor(
    private readonly fd: number,
    private readonly start: number,
    readonly size: number,
    private readonly io: InlineFileIo,
  ) {}

  get stream(): Readable {
    if (this.#stream) return this.#stream;
    this.#claim();
    // Opened by descriptor, so errors the stream may emit later name no path.
    const end = this.size > this.start ? { end: this.size - 1 } : {};
    this.#stream = createReadStream('', { fd: this.fd, start: this.start, ...end, highWaterMark: chunkBytes, autoClose: true });
    return this.#stream;
  }

  async sendTo(destination: Writable, signal: AbortSignal): Promise<void> {
    this.#claim();
    try {
      await sendFileRange(this.fd, this.io, this.start, Math.max(this.start, this.size), destination, signal);
    } finally {
      await this.#close();
    }
  }

  discard(): void {
    if (this.#stream) this.#stream.destroy();
    else if (!this.#isUsed) {
      this.#isUsed = true;
      void this.#close();
    }
  }

  #close(): Promise<void> {
    if (this.io.isAllowed) {
      try {
        this.io.run(() => closeSync(this.fd));
      } catch {
        // close(2) fails only for a bad descriptor; nothing is left to release
      }
      return Promise.resolve();
    }
    return new Promise((resolve) => close(this.fd, () => resolve()));
  }

  #claim(): void {
    if (this.#isUsed) throw new Error('a download source is read once');
    this.#isUsed = true;
  }
}

/** Write bytes [start, end) of the file into `destination` and end it; the caller closes `fd`. */
async function sendFileRange(fd: number, io: InlineFileIo, start: number, end: number, destination: Writable, signal: AbortSignal): Promise<void> {
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
      const bytesRead = io.isAllowed
        ? io.run(() => readSync(fd, filling, 0, length, position))
        : await Promise.race([readAt(fd, filling, length, position), destinationFailed]);
      if (bytesRead === 0) break; // the file shrank meanwhile: send what there is
      position += bytesRead;
      await Promise.race([previousWrite, destinationDone]);
      previousWrite = writeChunk(destination, filling.subarray(0, bytesRead));
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
