/**
 * PROT P data connections (RFC 4217 §9–10): the server is the TLS server on every data connection,
 * in either direction, with the control connection's secure context. When session reuse is
 * required (vsftpd's require_ssl_reuse), the data connection must resume the control connection's
 * TLS session; that proves it comes from the client that holds the control connection.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import { awaitServerHandshake, wrapServerSocket, type ServerTlsOptions } from './server-handshake.js';

/** Settings for the data connections of one session. */
export interface DataTlsOptions extends ServerTlsOptions {
  /** tls.requireSessionReuse: refuse a data connection that did a full handshake. */
  readonly requiresSessionReuse: boolean;
  /** Issue a new ticket when it resumes: only for downloads and listings (see SessionResumption). */
  readonly renewsTicket: boolean;
  /** Called with the reason a data connection was refused (for the session log). */
  readonly onRefused?: (reason: string) => void;
}

/** The reply text for a data connection that did not resume the control connection's session. */
export const sessionNotResumedText =
  'TLS session of data connection not resumed: the data connection must reuse the TLS session of the control connection.';

/** Wrap a data socket in TLS; throws CommandError (425 handshake failed, 522 session not resumed). */
export async function secureDataConnection(raw: Socket, signal: AbortSignal, options: DataTlsOptions): Promise<TLSSocket> {
  // What this handshake is issued (a ticket, a TLS 1.2 session ID) is kept only if it resumed:
  // otherwise a stranger's refused full handshake would leave it a ticket to resume next time.
  const issuance = options.resumption.beginDataConnection(options.renewsTicket);
  const socket = wrapServerSocket(raw, options);
  socket.once('close', () => issuance.end());
  try {
    await awaitServerHandshake(socket, options, signal);
  } catch (error) {
    issuance.settle(false);
    options.onRefused?.((error as Error).message);
    throw new CommandError(ReplyCode.CannotOpenDataConnection, 'TLS handshake on the data connection failed.');
  }
  // SECURITY: RFC 4217 §10.2 — only the holder of the control connection's TLS session (or one
  // of its renewed tickets) can resume it, so a stranger cannot take over the data connection.
  const isResumed = socket.isSessionReused();
  issuance.settle(isResumed || !options.requiresSessionReuse);
  if (options.requiresSessionReuse && !isResumed) {
    options.onRefused?.('TLS session not resumed');
    socket.destroy();
    // 522 as vsftpd does: a 5yz reply, since repeating the same handshake cannot succeed.
    throw new CommandError(ReplyCode.DataConnectionPolicyRefused, sessionNotResumedText);
  }
  return socket;
}
