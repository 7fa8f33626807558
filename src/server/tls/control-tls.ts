/**
 * The FTPS state of one control connection (RFC 4217): the upgrade after AUTH TLS, PBSZ/PROT, and
 * what the session's data channel asks at each transfer (PROT level, TLS for the data socket, policy).
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { ControlSecurity } from '../command-context.js';
import type { DataDirection } from '../data/data-channel.js';
import { CommandError } from '../errors.js';
import { secureDataConnection } from './data-tls.js';
import { awaitServerHandshake, wrapServerSocket } from './server-handshake.js';
import type { SessionResumption } from './session-resumption.js';

/** What the control security needs from its session. */
export interface SecurableSession {
  readonly log: Logger;
  readonly controlSocket: Socket;
  detachSocketReader(): void;
  replaceSocket(socket: Socket): void;
  close(reason: string): void;
}

/** The TLS state one control connection shares with its data connections. */
export interface SessionTls {
  /** Created for this connection (own ticket key), with the certificate current at its handshake. */
  readonly secureContext: SecureContext;
  readonly resumption: SessionResumption;
}

/** How the session's control connection became (or may become) secure. */
export type ControlTlsStart =
  /** Plain until AUTH TLS; the TLS state is created at the upgrade (current certificate). */
  | { readonly mode: 'explicit'; readonly createSessionTls: () => SessionTls }
  /** Already TLS from the first byte (implicit port), with the state of that handshake. */
  | { readonly mode: 'implicit'; readonly sessionTls: SessionTls };

/**
 * ControlSecurity for a server with FTPS configured. Idle sessions are the bulk of a busy server,
 * so this holds no closures and does not reach into its session until a command needs it.
 */
export class TlsControlSecurity implements ControlSecurity {
  hasProtectionBufferSize: boolean;
  private sessionTls: SessionTls | null;
  private level: 'C' | 'P';
  /** Set for explicit FTPS (shared by all sessions of the server); null when the connection began as TLS. */
  private readonly createSessionTls: (() => SessionTls) | null;

  constructor(
    private readonly session: SecurableSession,
    private readonly tls: ServerConfig['tls'],
    start: ControlTlsStart,
  ) {
    if (start.mode === 'implicit') {
      this.sessionTls = start.sessionTls;
      this.createSessionTls = null;
      // Implicit FTPS clients expect protected data without asking (common practice: vsftpd's
      // implicit_ssl, FileZilla Server); PBSZ is implied because the connection began secure.
      this.hasProtectionBufferSize = true;
      this.level = 'P';
    } else {
      this.sessionTls = null;
      this.createSessionTls = start.createSessionTls;
      this.hasProtectionBufferSize = false;
      this.level = 'C';
    }
  }

  get canUpgrade(): boolean {
    return this.createSessionTls !== null;
  }

  upgrade(): Promise<void> {
    if (this.createSessionTls === null) return Promise.reject(new Error('this connection began as TLS: nothing to upgrade'));
    return this.upgradeControlConnection(this.createSessionTls());
  }

  /** True once the control connection is TLS. */
  get isSecure(): boolean {
    return this.sessionTls !== null;
  }

  /** PROT level; P makes every following data connection TLS. */
  get protectionLevel(): 'C' | 'P' {
    return this.level;
  }

  set protectionLevel(level: 'C' | 'P') {
    this.level = level;
  }

  get protectsData(): boolean {
    return this.level === 'P' && this.sessionTls !== null;
  }

  /**
   * `direction` ('download' also for listings) lets a resumed download get a fresh ticket, which
   * curl over TLS 1.3 needs for its next data connection.
   */
  secureDataSocket(socket: Socket, signal: AbortSignal, direction: DataDirection): Promise<Socket> {
    const sessionTls = this.sessionTls;
    if (sessionTls === null) return Promise.reject(new Error('the control connection is not secure'));
    return secureDataConnection(socket, signal, {
      ...sessionTls,
      requiresClientCertificate: this.tls.requireClientCert,
      requiresSessionReuse: this.tls.requireSessionReuse,
      renewsTicket: direction === 'download',
      onRefused: (reason) => this.session.log.warn({ reason }, 'refused a TLS data connection'),
    });
  }

  /** tls.requireForData: refuse a clear-text transfer before its 150 reply. */
  checkTransferPolicy(): void {
    if (this.tls.requireForData && this.level !== 'P') {
      throw new CommandError(ReplyCode.DataConnectionPolicyRefused, 'Data connections must be encrypted: use PBSZ 0 and PROT P.');
    }
  }

  /**
   * Called right after the 234 reply was written: the next bytes from the client are its
   * ClientHello, so the raw reader is detached and the TLS socket takes over in the same tick.
   * A failed handshake closes the session (there is no way back to a clear control connection).
   */
  private async upgradeControlConnection(sessionTls: SessionTls): Promise<void> {
    const options = { ...sessionTls, requiresClientCertificate: this.tls.requireClientCert };
    this.session.detachSocketReader();
    const socket: TLSSocket = wrapServerSocket(this.session.controlSocket, options);
    this.session.replaceSocket(socket);
    try {
      await awaitServerHandshake(socket, options);
    } catch (error) {
      this.session.log.warn({ reason: (error as Error).message }, 'TLS handshake on the control connection failed');
      this.session.close('TLS handshake failed');
      return;
    }
    this.sessionTls = sessionTls;
    this.session.log.info({ protocol: socket.getProtocol(), cipher: socket.getCipher().name }, 'control connection secured');
  }
}
