/**
 * An upload's data connection that the client reset, although Node reported an end of stream.
 *
 * libuv takes POLLHUP after a short read for the end of the stream without reading again, so a
 * reset (RST) that arrives while data is still queued is reported as 'end', and the kernel's
 * ECONNRESET stays pending in SO_ERROR. A client that resets right after a burst (SO_LINGER 0, a
 * killed process) has thrown away whatever was still in its send buffer: reproduced with 3 MB sent
 * and reset, 127,973 bytes arrived and the STOR got 226 (vsftpd reads 0 from read(2) the same way).
 * At the end of the stream the native helper reads SO_ERROR (native/socket_error.c); a reset then
 * fails the upload with 426 before the file is finished, so the storage's partial-file policy
 * applies (an atomic upload's temporary file is removed). Without the helper nothing changes.
 */
import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import { nativePendingSocketError } from '../../native/native-addon.js';

/** What was seen when the socket's readable side ended. */
export interface ResetAtEnd {
  /** The reset, once the socket ended with one pending; null before its end or without one. */
  readonly error: Error | null;
}

interface SocketHandle {
  readonly _handle?: { readonly fd?: number } | null;
}

/**
 * Start watching `socket`, before it can end (before it is resumed). Null when there is nothing to
 * watch: no native helper, or no descriptor (a TLS socket, whose TLS layer sees its own end).
 */
export function watchResetAtEnd(socket: Socket): ResetAtEnd | null {
  const readPendingError = nativePendingSocketError();
  const descriptor = (socket as unknown as SocketHandle)._handle?.fd;
  if (readPendingError === null || typeof descriptor !== 'number' || descriptor < 0) return null;
  const watch: { error: Error | null } = { error: null };
  socket.once('end', () => {
    // At 'end' the descriptor is still open: Node closes the handle afterwards.
    const code = readPendingError(descriptor);
    if (code !== null) watch.error = Object.assign(new Error(`data connection ended with ${code}`), { code });
  });
  return watch;
}

/**
 * The pipeline stages that fail an upload whose socket ended with a reset, instead of ending it,
 * so the destination is destroyed rather than finished: one pass-through, or none when
 * `watchResetAtEnd` had nothing to watch.
 */
export function failOnResetAtEnd(watch: ResetAtEnd | null): Transform[] {
  if (watch === null) return [];
  return [
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        callback(null, chunk);
      },
      flush(callback) {
        callback(watch.error);
      },
    }),
  ];
}
