/**
 * The server side of one TLS handshake on an accepted TCP socket (control after AUTH TLS, implicit
 * control, or data): wrap, wait for 'secure' under a timeout and an optional AbortSignal, and
 * check the client certificate when one is required.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { SessionResumption } from './session-resumption.js';

/** A handshake that did not finish in time (a peer that connects and sends nothing). */
export const tlsHandshakeTimeoutMs = 30_000;

/** How the server side of a TLS connection is set up. */
export interface ServerTlsOptions {
  readonly secureContext: SecureContext;
  /** What the control connection's data connections may resume (see session-resumption.ts). */
  readonly resumption: SessionResumption;
  /** tls.requireClientCert: ask for a client certificate and refuse a missing or unverified one. */
  readonly requiresClientCertificate: boolean;
}

/** The handshake failed, timed out or was aborted; the socket is destroyed. */
export class TlsHandshakeError extends Error {
  override readonly name = 'TlsHandshakeError';
  readonly code = 'ERR_FTP_TLS_HANDSHAKE';
}

/** Wrap a raw socket as the TLS server side; the handshake starts when bytes arrive. */
export function wrapServerSocket(raw: Socket, options: ServerTlsOptions): TLSSocket {
  const socket = new TLSSocket(raw, {
    isServer: true,
    secureContext: options.secureContext,
    server: options.resumption.sessionCache,
    requestCert: options.requiresClientCertificate,
    rejectUnauthorized: options.requiresClientCertificate,
  });
  socket.on('error', () => socket.destroy());
  return socket;
}

/** Resolve once the handshake finished and the client certificate (if required) verified. */
export function awaitServerHandshake(
  socket: TLSSocket,
  options: ServerTlsOptions,
  signal?: AbortSignal,
  timeoutMs = tlsHandshakeTimeoutMs,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      socket.destroy();
      reject(new TlsHandshakeError(reason));
    };
    const onSecure = () => {
      const verifyError = options.requiresClientCertificate ? clientCertificateError(socket) : null;
      if (verifyError) {
        fail(`client certificate refused: ${verifyError}`);
        return;
      }
      cleanup();
      resolve();
    };
    const onError = (error: Error) => fail(error.message);
    const onClose = () => fail('connection closed during the TLS handshake');
    const onAbort = () => fail('aborted');
    const timer = setTimeout(() => fail('TLS handshake timed out'), timeoutMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('secure', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) {
      fail('aborted');
      return;
    }
    socket.once('secure', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Why the client certificate is not acceptable, or null. A TLSSocket made without a tls.Server
 * never sets `authorized` (tls.Server does that in an internal 'secure' listener), so the
 * verification result is read from the handle, as that listener does.
 */
function clientCertificateError(socket: TLSSocket): string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (typeof handle?.verifyError !== 'function') return 'cannot verify';
  const error = handle.verifyError();
  if (error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return Object.keys(socket.getPeerCertificate()).length === 0 ? 'no certificate' : null;
}
