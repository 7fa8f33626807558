/**
 * An upload read straight from the data socket into one recycled buffer, each filled buffer
 * written to storage with UploadTarget.writeNow (inline, so the buffer is free again at once).
 * Better still, when the storage offers UploadTarget.receiveFrom and the socket has not read yet,
 * the socket's descriptor is handed over and the bytes go to the file without passing through
 * JavaScript at all (splice(2), off the event loop); Node's socket stays paused meanwhile.
 * When the storage answers "not now", the filled stretch is copied into its stream instead, and
 * the socket pauses until that stream drains: the same ordering and backpressure as `pipeline`.
 *
 * Why not `pipeline(socket, target.stream)`: see file-io/socket-read-into.ts; measured on a 1 GiB STOR.
 * Completion: resolves once the socket ended (the client's EOF ends the file, RFC 959 stream
 * mode), every byte was written and the target stream finished (file closed, atomic upload
 * renamed). Rejects with the socket's, the storage's or the signal's error; the target stream is
 * then destroyed, so the storage's partial-file policy applies.
 */
import type { OnReadOpts, Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import type { ReceivingUpload, UploadTarget } from '../../storage/storage.js';
import { returnTransferBuffers, takeTransferBuffer } from '../../file-io/transfer-buffer-pool.js';
import { untouchedSocketDescriptor } from '../../file-io/socket-read-into.js';
import { watchResetAtEnd } from './reset-at-end.js';
import { DataStallError } from './transfer.js';

/**
 * Whether a target offers a fast path this receiver uses (writeNow or receiveFrom). Without
 * either, plain `pipeline` into the stream is cheaper: the receiver would copy every buffer.
 */
export function offersFastUpload(target: UploadTarget): boolean {
  return typeof target.writeNow === 'function' || typeof target.receiveFrom === 'function';
}

/** Receives one upload; `onread` must be given to the data socket when it is created. */
export class UploadReceiver {
  readonly onread: OnReadOpts;
  /** Taken when the socket first asks for it, returned when the transfer ends. */
  #buffer: Buffer | null = null;
  #isReleased = false;
  #filled = 0;
  #socket: Socket | null = null;
  #failure: Error | null = null;
  /** The running or finished receiveFrom, when it was used (the socket's own count then stays 0). */
  #spliced: ReceivingUpload | null = null;

  constructor(private readonly target: UploadTarget) {
    this.onread = {
      buffer: () => this.#currentBuffer().subarray(this.#filled),
      callback: (bytes) => this.#onBytes(bytes),
    };
    // The fallback path writes into the stream, which fails asynchronously (no space, …): record
    // it and stop reading. Listening from the start also means such an error never goes unhandled.
    target.stream.on('error', (error) => this.#fail(error));
  }

  /** Bytes received so far (all of them once receive() settled). */
  get bytesReceived(): number {
    return this.#spliced?.bytes() ?? this.#socket?.bytesRead ?? 0;
  }

  /**
   * Move the socket's bytes into the target until the socket ends; see the module comment.
   * `readsInto`: the socket was made with this receiver's `onread`. Otherwise (a TLS socket, whose
   * layer reads into its own memory) each chunk it emits is copied into the recycled buffer.
   */
  async receive(socket: Socket, signal: AbortSignal, readsInto = true): Promise<void> {
    this.#socket = socket;
    try {
      if (this.#failure) throw this.#failure;
      if (!(await this.#receiveSpliced(socket, signal))) {
        if (!readsInto) socket.on('data', (chunk: Buffer) => this.#copyIn(chunk));
        const resetAtEnd = watchResetAtEnd(socket);
        socket.resume(); // sockets are made paused, so no byte arrives before this receiver is ready
        await finished(socket, { writable: false, signal });
        if (this.#failure) throw this.#failure;
        if (resetAtEnd?.error) throw resetAtEnd.error; // the bytes that came are kept (catch below)
        this.#flush();
        if (this.#failure) throw this.#failure;
      }
      this.target.stream.end();
      await finished(this.target.stream, { readable: false, signal });
    } catch (error) {
      // Bytes that arrived before a lost connection belong in the partial file (REST resume), as
      // with pipeline; the storage's policy then decides whether that file stays.
      if (this.#failure === null) this.#flush();
      this.target.stream.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      this.#release();
    }
  }

  /**
   * The whole upload through UploadTarget.receiveFrom, when the target offers it and the socket is
   * still untouched; false (nothing consumed) when that path is not taken.
   */
  async #receiveSpliced(socket: Socket, signal: AbortSignal): Promise<boolean> {
    const descriptor = this.target.receiveFrom ? untouchedSocketDescriptor(socket) : null;
    if (descriptor === null) return false;
    const stallTimeoutMs = socket.timeout ?? 0;
    const receiving = this.target.receiveFrom!(descriptor, { signal, stallTimeoutMs });
    if (receiving === null) return false;
    this.#spliced = receiving;
    // Node sees no reads now, so its idle timer would call a busy upload stalled: the splice keeps that clock.
    socket.setTimeout(0);
    const result = await receiving.done;
    if (result.ending === 'stalled') throw new DataStallError('data connection stalled');
    if (result.ending === 'cancelled') signal.throwIfAborted(); // only the signal cancels it
    return true;
  }

  #currentBuffer(): Buffer {
    // After release (the socket is being destroyed) a stray read gets a throwaway buffer, never a pooled one.
    if (this.#isReleased) return Buffer.allocUnsafe(64 * 1024);
    return (this.#buffer ??= takeTransferBuffer());
  }

  /** The onread callback: false pauses the socket (Node's contract). */
  #onBytes(bytes: number): boolean {
    if (this.#isReleased) return false;
    this.#filled += bytes;
    if (this.#filled < this.#currentBuffer().length) return true;
    return this.#flush();
  }

  /**
   * A chunk from a socket that reads into its own memory. Copied rather than held: chunks held
   * until a write (as a stream does) outlive young-generation collections, and their memory then
   * waits for full collections. FTPS STOR of 256 MiB: ~25 % of the server's CPU samples were major
   * GC marking and sweeping; see the commit for the measured effect.
   */
  #copyIn(chunk: Buffer): void {
    if (this.#isReleased) return;
    let isRoomLeft = true;
    for (let offset = 0; offset < chunk.length; ) {
      const buffer = this.#currentBuffer();
      const copied = chunk.copy(buffer, this.#filled, offset);
      offset += copied;
      this.#filled += copied;
      if (this.#filled === buffer.length && !this.#flush()) isRoomLeft = false;
      if (this.#failure) return;
    }
    if (!isRoomLeft) this.#socket?.pause();
  }

  /** Hand the filled stretch to storage; false when the socket must wait (stream full, or failed). */
  #flush(): boolean {
    if (this.#filled === 0 || this.#failure) return this.#failure === null;
    const data = this.#currentBuffer().subarray(0, this.#filled);
    this.#filled = 0;
    try {
      if (this.target.writeNow?.(data)) return true;
      // Not now (watchdog, or data already queued): the stream gets a copy, the buffer refills at once.
      const hasRoom = this.target.stream.write(Buffer.from(data));
      if (!hasRoom) this.target.stream.once('drain', () => this.#socket?.resume());
      return hasRoom;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    // Ends the wait in receive() at once; the failure, not the socket's state, is reported.
    this.#socket?.destroy(this.#failure);
  }

  #release(): void {
    this.#isReleased = true;
    // The buffer goes back to the pool only once the socket can no longer read into it.
    if (this.#socket && !this.#socket.readableEnded) this.#socket.destroy();
    if (this.#buffer) returnTransferBuffers(this.#buffer);
    this.#buffer = null;
  }
}
