/**
 * A binary download written straight into a local file: the data socket reads into one of two
 * recycled 1 MiB buffers, and each filled buffer goes to the file with one writev(2) on the
 * thread pool while the socket fills the other.
 *
 * Why not `pipeline(socket, createWriteStream(...))`: a socket that emits 'data' reads every chunk
 * into fresh memory, and a 1 GiB download then spends most of its CPU in the kernel faulting in
 * and zeroing those pages. Measured on the bench VM (1 GiB from a local Ferry server, 4 interleaved
 * rounds of a prototype): 'data' chunks into a write stream 1.65-2.7 s; chunks copied into a recycled
 * buffer 1.8-2.2 s; the socket reading into recycled buffers (`onread`) 0.9-1.2 s (curl 1.1-1.6 s,
 * lftp 0.8-0.9 s). A plain data socket reads into this receiver's `onread` (passive: made with it;
 * active: accepted paused and moved to a socket made with it); a TLS socket emits chunks, which are
 * copied into the same buffers.
 *
 * Why writev of 32 KiB pieces rather than one write of the buffer: 1 MiB write(2)s into the page
 * cache took 2.3-3.7 s per GiB on the bench VM against 0.9-1.2 s as 32 × 32 KiB in one writev,
 * nearly all of it kernel time; the server's uploads measured the same (inlineWriteBytes in
 * local-storage.ts).
 *
 * Backpressure: when both buffers are full (the file is slower than the network) the socket stops
 * reading until the write in flight finishes. The file descriptor is borrowed: move() settles
 * only once no write is in flight, so the caller may close it then.
 */
import { writev, writevSync } from 'node:fs';
import type { OnReadOpts, Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import type { LocalFileMover } from './transfer.js';

/** Size of each of the two buffers. */
const bufferBytes = 1024 * 1024;
/** Size of each piece of a writev; see the module comment. */
const writePieceBytes = 32 * 1024;

export class FileDownloadReceiver implements LocalFileMover {
  /** For a plain socket made with it (net.connect's `onread`); see the module comment. */
  readonly onread: OnReadOpts;
  /** Made when first filled: a small file never needs the second. */
  readonly #buffers: (Buffer | null)[] = [null, null];
  /** Index of the buffer being filled; the other one is free or being written. */
  #current = 0;
  #filled = 0;
  #position: number;
  #bytesReceived = 0;
  /** The write in flight, if any; it never rejects (a failure is kept in #failure). */
  #writing: Promise<void> | null = null;
  /** Both buffers are full: the socket (reading into them) waits for the write in flight. */
  #isWaitingForWrite = false;
  /** Both buffers are full: the rest of an emitted chunk waits for the write in flight. */
  #pendingChunk: Buffer | null = null;
  #failure: Error | null = null;
  #socket: Socket | null = null;
  #onBytes: (bytesReceived: number) => void = () => undefined;

  /**
   * Writes at `position` onward of the open file `fd`, which stays open (the caller closes it).
   * `write` is the file writer (tests slow it down to make the socket wait).
   */
  constructor(
    private readonly fd: number,
    position: number,
    private readonly write: FileWriter = writeAllAt,
  ) {
    this.#position = position;
    this.onread = {
      // Node asks for the next buffer right after each read, even one that pauses the socket. When
      // both are full it gets the one being written: the socket reads again only after that write
      // finished and #startWrite made it the current buffer, empty.
      buffer: () => (this.#filled < bufferBytes ? this.#buffer(this.#current).subarray(this.#filled) : this.#buffer(1 - this.#current)),
      callback: (bytes) => this.#received(bytes),
    };
  }

  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /**
   * Write everything the socket delivers until it ends. `readsInto`: the socket was made with
   * `onread`; otherwise its chunks are copied in. `onBytes` is called with the running total.
   * Resolves when the last byte is written; rejects on the socket's, the file's or the signal's
   * error. Either way no write is in flight once it settles.
   */
  async move(socket: Socket, signal: AbortSignal, readsInto: boolean, onBytes: (bytesReceived: number) => void): Promise<void> {
    this.#socket = socket;
    this.#onBytes = onBytes;
    if (this.#bytesReceived > 0) onBytes(this.#bytesReceived); // read before move() was called
    try {
      if (!readsInto) socket.on('data', (chunk: Buffer) => this.#copyIn(chunk));
      // A socket accepted paused (active mode) starts only now. One that already stopped with both
      // buffers full must not: it restarts when the write in flight finished (#written).
      if (!this.#isWaitingForWrite) socket.resume();
      await finished(socket, { writable: false, signal });
      await this.#writesDone();
      if (this.#filled > 0 && this.#failure === null) this.#startWrite();
      await this.#writesDone();
      if (this.#failure) throw this.#failure;
    } catch (error) {
      this.#failure ??= error instanceof Error ? error : new Error(String(error)); // no new write starts now
      socket.destroy();
      await this.#writesDone(); // the caller closes the descriptor next: no write may still use it
      throw this.#failure;
    }
  }

  /** Until no write is in flight (a finished write may start the next one). */
  async #writesDone(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
  }

  /** The onread callback; false pauses the socket (Node's contract). */
  #received(bytes: number): boolean {
    this.#filled += bytes;
    this.#counted(bytes);
    return this.#filled < bufferBytes || this.#bufferFilled();
  }

  /** A chunk from a socket that reads into its own memory (TLS, or one that could not be moved to `onread`). */
  #copyIn(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#filled === bufferBytes) {
        if (this.#writing === null) {
          this.#startWrite();
          continue;
        }
        // Both buffers full: the rest of the chunk waits for the write in flight (see #written).
        this.#pendingChunk = chunk.subarray(offset);
        this.#socket?.pause();
        return;
      }
      const copied = chunk.copy(this.#buffer(this.#current), this.#filled, offset);
      offset += copied;
      this.#filled += copied;
      this.#counted(copied);
    }
    if (this.#filled === bufferBytes && this.#writing === null) this.#startWrite();
  }

  #buffer(index: number): Buffer {
    return (this.#buffers[index] ??= Buffer.allocUnsafeSlow(bufferBytes));
  }

  #counted(bytes: number): void {
    this.#bytesReceived += bytes;
    this.#onBytes(this.#bytesReceived);
  }

  /** The current buffer is full: write it now, or pause the socket until the write in flight is done (false). */
  #bufferFilled(): boolean {
    if (this.#writing === null) {
      this.#startWrite();
      return true;
    }
    this.#isWaitingForWrite = true;
    return false;
  }

  /** Write the current buffer's filled part and make the other buffer current. */
  #startWrite(): void {
    const data = this.#buffer(this.#current).subarray(0, this.#filled);
    const position = this.#position;
    this.#position += data.length;
    this.#current = 1 - this.#current;
    this.#filled = 0;
    this.#writing = this.write(this.fd, data, position).then(
      () => this.#written(),
      (error: unknown) => this.#fail(error),
    );
  }

  #written(): void {
    this.#writing = null;
    if (this.#failure) return;
    if (this.#isWaitingForWrite) {
      // The socket stopped with the current buffer full; write it, and read into the one just freed.
      this.#isWaitingForWrite = false;
      this.#startWrite();
      this.#socket?.resume();
    } else if (this.#pendingChunk !== null) {
      const rest = this.#pendingChunk;
      this.#pendingChunk = null;
      this.#copyIn(rest);
      if (this.#pendingChunk === null) this.#socket?.resume();
    }
  }

  #fail(error: unknown): void {
    this.#writing = null;
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    this.#socket?.destroy(this.#failure);
  }
}

/** Writes all of `data` into `fd` at `position`. */
export type FileWriter = (fd: number, data: Buffer, position: number) => Promise<void>;

/** Write all of `data` at `position` with writev calls of writePieceBytes pieces, in the thread pool. */
export async function writeAllAt(fd: number, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const pieces = piecesOf(data, written);
    written += await new Promise<number>((resolve, reject) => {
      writev(fd, pieces, position + written, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten)));
    });
  }
}

/** writeAllAt on the calling thread (the caller decides when blocking is acceptable). */
export function writeAllAtSync(fd: number, data: Buffer, position: number): void {
  let written = 0;
  while (written < data.length) written += writevSync(fd, piecesOf(data, written), position + written);
}

function piecesOf(data: Buffer, from: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = from; offset < data.length; offset += writePieceBytes) {
    pieces.push(data.subarray(offset, Math.min(offset + writePieceBytes, data.length)));
  }
  return pieces;
}
