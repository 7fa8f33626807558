/**
 * A plain binary download (no TYPE A conversion, no bandwidth cap) into the data socket, by the
 * cheapest way the storage offers: DownloadSource.sendToSocket when the socket is a plain TCP
 * socket (sendfile(2), mostly off the event loop, local files; file-io/send-through-descriptor.ts),
 * else DownloadSource.sendTo (two recycled buffers), else `pipeline` of its stream. The mirror of
 * UploadReceiver.
 *
 * Completion: resolves with the bytes sent once the socket was ended and finished; rejects with
 * the socket's, the storage's or the signal's error, or DataStallError when the socket took
 * nothing for its idle timeout.
 */
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { DownloadSource } from '../../storage/storage.js';
import { sendThroughDescriptor, type DescriptorTransfer } from '../../file-io/send-through-descriptor.js';

/** Sends one download; bytesSent serves STAT while it runs. */
export class DownloadSender {
  #socket: Socket | null = null;
  /** The running or finished sendToSocket, when it was used (the socket's own count then stays 0). */
  #native: { bytes(): number } | null = null;

  constructor(private readonly source: DownloadSource) {}

  /** Bytes sent so far (all of them once send() settled). */
  get bytesSent(): number {
    return this.#native?.bytes() ?? this.#socket?.bytesWritten ?? 0;
  }

  /**
   * Send into a bare descriptor (a native passive connection) with DownloadSource.sendToSocket;
   * null, with nothing done, when the source cannot. The caller closes the descriptor afterwards.
   */
  sendToDescriptor(descriptor: number, options: { signal: AbortSignal; stallTimeoutMs: number }): DescriptorTransfer | null {
    const sending = this.source.sendToSocket?.(descriptor, options) ?? null;
    if (sending) this.#native = sending;
    return sending;
  }

  async send(socket: Socket, signal: AbortSignal): Promise<number> {
    this.#socket = socket;
    const sendToSocket = this.source.sendToSocket?.bind(this.source);
    const native = sendToSocket ? sendThroughDescriptor(socket, signal, sendToSocket) : null;
    if (native) {
      this.#native = native;
      await native.done;
      return native.bytes();
    }
    if (this.source.sendTo) await this.source.sendTo(socket, signal);
    else await pipeline(this.source.stream, socket, { signal });
    return socket.bytesWritten;
  }
}
