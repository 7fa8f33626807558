/**
 * Active mode (PORT/EPRT): the server connects to the client from its data port, by RFC 959 §3.2
 * the control port minus one (20 for 21). When that port cannot be bound the connection is made
 * from an ephemeral port instead; the server says so once at startup (see ftp-server.ts).
 */
import { connect, type OnReadOpts, type Socket } from 'node:net';
import type { DataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';

/** Options for one active connection. */
export interface ActiveConnectOptions {
  /** Local address to connect from (the control connection's local address). */
  readonly localAddress: string;
  /** Local port to connect from; 0 for an ephemeral port. */
  readonly localPort: number;
  readonly connectTimeoutMs: number;
  /** Read into these buffers instead of emitting 'data'; the socket then starts paused. */
  readonly onread?: OnReadOpts;
}

/** Connect to the client's data address; CommandError(425) on failure or timeout. */
export async function connectActive(target: DataAddress, options: ActiveConnectOptions): Promise<Socket> {
  if (options.localPort > 0) {
    try {
      return await attemptConnect(target, options, options.localPort);
    } catch (error) {
      // The data port may be busy with another session's connection to the same client port
      // or not bindable at all; an ephemeral port still gets the client its data.
      if (!isBindError(error)) throw toConnectFailure(error);
    }
  }
  try {
    return await attemptConnect(target, options, 0);
  } catch (error) {
    throw toConnectFailure(error);
  }
}

function attemptConnect(target: DataAddress, options: ActiveConnectOptions, localPort: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      localAddress: options.localAddress,
      ...(localPort > 0 ? { localPort } : {}),
      noDelay: true,
      ...(options.onread ? { onread: options.onread } : {}),
    });
    // A socket reading into buffers starts reading at connect; its receiver resumes it when ready.
    if (options.onread) socket.pause();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CommandError(ReplyCode.CannotOpenDataConnection, 'Data connection timed out.'));
    }, options.connectTimeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
  });
}

function isBindError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'EPERM';
}

function toConnectFailure(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  return new CommandError(ReplyCode.CannotOpenDataConnection, "Can't open data connection.");
}
