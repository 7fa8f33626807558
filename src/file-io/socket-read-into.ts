/**
 * Make an accepted data socket read into caller-supplied buffers (`onread`), as `net.connect` can
 * do for outgoing sockets but `net.Server` cannot for accepted ones (Node 20).
 *
 * Why: a socket that emits 'data' reads every chunk into fresh memory (perf on a 1 GiB STOR: 8 %
 * of server samples zeroing new pages, 4 % in malloc, more in page faults under the socket copy);
 * reading into one recycled buffer avoids all of it.
 *
 * How, and the risk: the accepted socket was created with pauseOnConnect, so its handle has not
 * read a byte; the handle is moved to a new Socket constructed with `onread`, which is what Node
 * itself does for its accepted sockets. This touches `_handle`, an internal property; when it is
 * missing or the socket has already started reading, nothing is moved and the caller keeps the
 * ordinary socket (the server's upload then takes the stream path, the client's download copies
 * the chunks). Tests check that the move happens (server uploads, client active-mode downloads),
 * so a Node version that breaks it is noticed.
 *
 * Shared by the server (passive data connections of uploads) and the client (active-mode data
 * connections of downloads). The descriptors handed to the native helper's transfers (splice for
 * uploads, sendfile for downloads) come from here too.
 */
import { Socket, type OnReadOpts } from 'node:net';

interface SocketInternals {
  _handle: (object & { reading?: boolean; fd?: number }) | null;
}

/** Whether the socket has not read a byte and will not until resumed (as accepted with pauseOnConnect, or made with pauseOnCreate). */
function isUntouched(socket: Socket, handle: SocketInternals['_handle']): boolean {
  return socket.readableFlowing === false && !handle?.reading && socket.bytesRead === 0 && socket.readableLength === 0 && !socket.destroyed;
}

/**
 * The file descriptor of a plain TCP socket that has not read anything yet (paused since it was
 * made), for a reader outside Node (splice(2), see UploadTarget.receiveFrom); null when there is
 * none (TLS, not Unix, already reading). The caller must keep the socket paused while it reads.
 */
export function untouchedSocketDescriptor(socket: Socket): number | null {
  const handle = (socket as unknown as SocketInternals)._handle;
  const descriptor = handle?.fd;
  return handle && isUntouched(socket, handle) && typeof descriptor === 'number' && descriptor >= 0 ? descriptor : null;
}

/**
 * The file descriptor of a plain TCP socket with nothing queued for writing in Node, for a writer
 * outside Node (sendfile(2), see DownloadSource.sendToSocket); null when there is none (TLS, not
 * Unix, still connecting, writes pending). The caller must not write the socket meanwhile.
 */
export function idleWritableSocketDescriptor(socket: Socket): number | null {
  const descriptor = (socket as unknown as SocketInternals)._handle?.fd;
  const isIdle = !socket.connecting && !socket.destroyed && !socket.writableEnded && socket.writableLength === 0 && !('encrypted' in socket);
  return isIdle && typeof descriptor === 'number' && descriptor >= 0 ? descriptor : null;
}

/** A socket reading into `onread`'s buffers in place of `socket` (which is released), or null when that cannot be done. */
export function readAcceptedSocketInto(socket: Socket, onread: OnReadOpts): Socket | null {
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  // Only a socket still paused as accepted (pauseOnConnect): nothing read, nothing about to be.
  if (!handle || !isUntouched(socket, handle)) return null;
  internals._handle = null;
  // Without a handle, destroy() only settles the old object's state (and its server's connection count).
  socket.destroy();
  const adopted = new Socket({ handle, onread, readable: true, writable: true, pauseOnCreate: true } as ConstructorParameters<typeof Socket>[0]);
  adopted.on('error', () => adopted.destroy());
  return adopted;
}
