/**
 * FTPS for one FtpServer: the certificate store, each session's ControlSecurity, and the implicit
 * listener. The implicit port is a plain net.Server whose sockets are wrapped here rather than a
 * tls.Server: each control connection then gets its own secure context (ticket key), which binds
 * its data connections to it (see TlsCertificateStore.createSessionContext).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';
import type { ControlSecurity } from '../command-context.js';
import { TlsControlSecurity, type ControlTlsStart, type SecurableSession, type SessionTls } from './control-tls.js';
import { awaitServerHandshake, wrapServerSocket } from './server-handshake.js';
import { TlsCertificateStore } from './tls-context.js';
import { SessionResumption } from './session-resumption.js';

/** FTPS is configured but cannot start; the message is meant for the operator. */
export class FtpsConfigError extends Error {
  override readonly name = 'FtpsConfigError';
  readonly code = 'ERR_FTP_TLS_CONFIG';
}

/** The FTPS part of a server: null-free once started, closed with the server. */
export class Ftps {
  /** One start description for every explicit session (no object or closure per connection). */
  private readonly explicitStart: ControlTlsStart = { mode: 'explicit', createSessionTls: () => this.createSessionTls() };
  private hasWarnedTicketRenewal = false;

  private constructor(
    readonly certificates: TlsCertificateStore,
    private readonly tls: ServerConfig['tls'],
    private readonly log: Logger,
  ) {}

  /**
   * Load the certificate when `config.tls` names one; null when FTPS is off. Throws FtpsConfigError
   * when a TLS policy is on without a certificate, or a file is unusable.
   */
  static async start(config: ServerConfig, log: Logger): Promise<Ftps | null> {
    const tls = config.tls;
    if (tls.certFile === null || tls.keyFile === null) {
      const needing = [
        tls.requireForLogin && 'tls.requireForLogin',
        tls.requireForData && 'tls.requireForData',
        tls.implicitPort !== null && 'tls.implicitPort',
        tls.requireClientCert && 'tls.requireClientCert',
      ].filter(Boolean);
      if (needing.length > 0) throw new FtpsConfigError(`${needing.join(', ')} need tls.certFile and tls.keyFile (--tls-cert, --tls-key)`);
      return null;
    }
    if (tls.requireClientCert && tls.caFile === null) {
      throw new FtpsConfigError('tls.requireClientCert needs tls.caFile: the CA that signs client certificates');
    }
    let certificates: TlsCertificateStore;
    try {
      certificates = await TlsCertificateStore.load({ certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile, minVersion: tls.minVersion });
    } catch (error) {
      throw new FtpsConfigError((error as Error).message);
    }
    certificates.on('reload', () => log.info({ certFile: tls.certFile }, 'TLS certificate reloaded'));
    certificates.on('reloadError', (error) => log.error({ reason: error.message }, 'TLS certificate reload refused; keeping the current one'));
    certificates.watchFiles();
    return new Ftps(certificates, tls, log);
  }

  /** ControlSecurity for a plain connection that may send AUTH TLS. */
  explicitSecurity(session: SecurableSession): ControlSecurity {
    return new TlsControlSecurity(session, this.tls, this.explicitStart);
  }

  /** ControlSecurity for a connection that completed its handshake on the implicit port. */
  implicitSecurity(session: SecurableSession, sessionTls: SessionTls): ControlSecurity {
    return new TlsControlSecurity(session, this.tls, { mode: 'implicit', sessionTls });
  }

  /** A (not yet listening) server for implicit FTPS; each socket is handed on once it is secure. */
  createImplicitListener(onSecureConnection: (socket: TLSSocket, sessionTls: SessionTls) => void): Server {
    return createServer({ noDelay: true, keepAlive: true }, (raw: Socket) => {
      raw.on('error', () => raw.destroy());
      const sessionTls = this.createSessionTls();
      const options = { ...sessionTls, requiresClientCertificate: this.tls.requireClientCert };
      const socket = wrapServerSocket(raw, options);
      awaitServerHandshake(socket, options).then(
        () => onSecureConnection(socket, sessionTls),
        (error: Error) => this.log.debug({ clientAddress: raw.remoteAddress, reason: error.message }, 'implicit TLS handshake failed'),
      );
    });
  }

  /** Re-read the certificate files now (SIGHUP); new sessions get the new certificate. */
  reloadCertificates(): Promise<void> {
    return this.certificates.reload();
  }

  private createSessionTls(): SessionTls {
    const secureContext = this.certificates.createSessionContext();
    const resumption = new SessionResumption();
    if (!resumption.installTicketKeys(secureContext) && !this.hasWarnedTicketRenewal) {
      this.hasWarnedTicketRenewal = true;
      this.log.warn('this Node has no TLS ticket key callback: tickets are not renewed, so curl over TLS 1.3 fails every second transfer on a connection');
    }
    return { secureContext, resumption };
  }

  /** Stop watching the certificate files. */
  close(): void {
    this.certificates.close();
  }
}
