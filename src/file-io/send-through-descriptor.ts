/**
 * A send into a data socket made outside Node, by a sender working on the socket's descriptor
 * (the native helper's sendfile: the server's DownloadSource.sendToSocket, the client's
 * FileUploadSender), followed by the socket's end: the same completion and failure semantics as
 * sendFileRange, so callers can take either path.
 *
 * What it keeps straight: Node sees no writes meanwhile, so the socket's idle timer is switched
 * off and the sender keeps the stall clock (a stall is then reported through the socket's own
 * 'timeout' event, whose handler fails the transfer as it would on the JavaScript path); the
 * sender writes through its own duplicate of the descriptor, which destroying the socket would not
 * close, so a destroyed socket stops it as the signal does.
 *
 * Shared by the server (downloads) and the client (uploads).
 */
import type { Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import { idleWritableSocketDescriptor } from './socket-read-into.js';

/**
 * A running transfer on a socket's descriptor, made outside Node, as the native helper's are (also
 * the shape of the storage's UploadTarget.receiveFrom and DownloadSource.sendToSocket).
 */
export interface DescriptorTransfer {
  readonly done: Promise<{ readonly bytes: number; readonly ending: 'end' | 'cancelled' | 'stalled' }>;
  /** Bytes moved so far (for progress reports). */
  bytes(): number;
}

/** Starts a send on `descriptor`, or answers null (nothing done) when it cannot now. */
export type DescriptorSendStarter = (descriptor: number, options: { signal: AbortSignal; stallTimeoutMs: number }) => DescriptorTransfer | null;

/**
 * Start the send and end the socket after it: `done` resolves once every byte was sent and the
 * socket finished; it rejects with the signal's reason, the socket's error (a stall included) or
 * the sender's. Null, with nothing sent, when the socket has no idle descriptor (TLS, writes
 * queued) or `start` declines.
 */
export function sendThroughDescriptor(socket: Socket, signal: AbortSignal, start: DescriptorSendStarter): { done: Promise<void>; bytes(): number } | null {
  const descriptor = idleWritableSocketDescriptor(socket);
  if (descriptor === null) return null;
  const stallTimeoutMs = socket.timeout ?? 0;
  const stop = new AbortController();
  const sending = start(descriptor, { signal: stop.signal, stallTimeoutMs });
  if (sending === null) return null;
  const stopSending = (): void => stop.abort();
  signal.addEventListener('abort', stopSending, { once: true });
  socket.once('close', stopSending);
  if (signal.aborted || socket.destroyed) stopSending();
  socket.setTimeout(0);
  const done = (async (): Promise<void> => {
    let result: Awaited<DescriptorTransfer['done']>;
    try {
      result = await sending.done;
    } finally {
      signal.removeEventListener('abort', stopSending);
      socket.off('close', stopSending);
      socket.setTimeout(stallTimeoutMs);
    }
    if (result.ending === 'stalled') {
      socket.emit('timeout'); // the owner's handler destroys the socket with its own stall error
      if (!socket.destroyed) socket.destroy(Object.assign(new Error('data connection stalled'), { code: 'ETIMEDOUT' }));
    }
    if (result.ending === 'cancelled') signal.throwIfAborted(); // else the socket was destroyed
    if (result.ending !== 'end') {
      await finished(socket, { readable: false }); // rejects with the socket's error, or as closed early
      throw Object.assign(new Error('data connection closed during the transfer'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    }
    // EOF after the last byte (RFC 959 stream mode): the shutdown goes behind what the sender queued.
    socket.end();
    await finished(socket, { readable: false, signal });
  })();
  return { done, bytes: () => sending.bytes() };
}
