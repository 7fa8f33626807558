/**
 * A plain binary download (no TYPE A conversion, no bandwidth cap) into the data socket, by the
 * cheapest way the storage offers: DownloadSource.sendToSocket when the socket is a plain TCP
 * socket (sendfile(2) off the event loop, big local files), else DownloadSource.sendTo (two
 * recycled buffers), else `pipeline` of its stream. The mirror of UploadReceiver.
 *
 * Completion: resolves with the bytes sent once the socket was ended and finished; rejects with
 * the socket's, the storage's or the signal's error, or DataStallError when the socket took
 * nothing for its idle timeout.
 */
import type { Socket } from 'node:net';
import { finished, pipeline } from 'node:stream/promises';
import type { DownloadSource, SendingDownload } from '../../storage/storage.js';
import { idleWritableSocketDescriptor } from '../../file-io/socket-read-into.js';
import { DataStallError } from './transfer.js';

/** Sends one download; bytesSent serves STAT while it runs. */
export class DownloadSender {
  #socket: Socket | null = null;
  /** The running or finished sendToSocket, when it was used (the socket's own count then stays 0). */
  #native: SendingDownload | null = null;

  constructor(private readonly source: DownloadSource) {}

  /** Bytes sent so far (all of them once send() settled). */
  get bytesSent(): number {
    return this.#native?.bytes() ?? this.#socket?.bytesWritten ?? 0;
  }

  async send(socket: Socket, signal: AbortSignal): Promise<number> {
    this.#socket = socket;
    if (await this.#sendNatively(socket, signal)) return this.bytesSent;
    if (this.source.sendTo) await this.source.sendTo(socket, signal);
    else await pipeline(this.source.stream, socket, { signal });
    return socket.bytesWritten;
  }

  /** The whole download through sendToSocket, when offered; false (nothing sent) when that path is not taken. */
  async #sendNatively(socket: Socket, signal: AbortSignal): Promise<boolean> {
    const descriptor = this.source.sendToSocket ? idleWritableSocketDescriptor(socket) : null;
    if (descriptor === null) return false;
    const stallTimeoutMs = socket.timeout ?? 0;
    // The sender stops on the transfer's signal, and also when someone destroys the socket: the
    // sender writes through its own duplicate of the descriptor, which that would not close.
    const stop = new AbortController();
    const stopSending = (): void => stop.abort();
    const sending = this.source.sendToSocket!(descriptor, { signal: stop.signal, stallTimeoutMs });
    if (sending === null) return false;
    this.#native = sending;
    signal.addEventListener('abort', stopSending, { once: true });
    socket.once('close', stopSending);
    if (signal.aborted || socket.destroyed) stopSending();
    // Node sees no writes now, so its idle timer would call a busy download stalled: the sender
    // keeps that clock.
    socket.setTimeout(0);
    let result: Awaited<SendingDownload['done']>;
    try {
      result = await sending.done;
    } finally {
      signal.removeEventListener('abort', stopSending);
      socket.off('close', stopSending);
      socket.setTimeout(stallTimeoutMs);
    }
    if (result.ending === 'stalled') throw new DataStallError('data connection stalled');
    if (result.ending === 'cancelled') {
      signal.throwIfAborted();
      throw Object.assign(new Error('data connection closed during the download'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    }
    // EOF after the last byte (RFC 959 stream mode): the shutdown goes behind what sendfile queued.
    socket.end();
    await finished(socket, { readable: false, signal });
    return true;
  }
}
