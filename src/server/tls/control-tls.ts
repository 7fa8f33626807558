/**
 * The FTPS state of one control connection (RFC 4217): the upgrade after AUTH TLS, PBSZ/PROT, and
 * the data-connection hooks that PROT installs on the session's DataChannel.
 */
import type { Socket } from 'node:net';
import type { SecureContext, Server, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { ControlSecurity } from '../command-context.js';
import type { DataChannel } from '../data/data-channel.js';
import { CommandError } from '../errors.js';
import { secureDataConnection } from './data-tls.js';
import { awaitServerHandshake, wrapServerSocket } from './server-handshake.js';

/** What the control security needs from its session. */
export interface SecurableSession {
  readonly dataChannel: DataChannel;
  readonly log: Logger;
  readonly controlSocket: Socket;
  detachSocketReader(): void;
  replaceSocket(socket: Socket): void;
  close(reason: string): void;
}

/** The TLS state one control connection shares with its data connections. */
export interface SessionTls {
  /** Created for this connection (own ticket keys), with the certificate current at its handshake. */
  readonly secureContext: SecureContext;
  readonly sessionCache: Server;
}

/** How the session's control connection became (or may become) secure. */
export type ControlTlsStart =
  /** Plain until AUTH TLS; the TLS state is created at the upgrade (current certificate). */
  | { readonly mode: 'explicit'; readonly createSessionTls: () => SessionTls }
  /** Already TLS from the first byte (implicit port), with the state of that handshake. */
  | { readonly mode: 'implicit'; readonly sessionTls: SessionTls };

/** ControlSecurity for a server with FTPS configured. */
export class TlsControlSecurity implements ControlSecurity {
  readonly upgrade: (() => Promise<void>) | null;
  hasProtectionBufferSize: boolean;
  private sessionTls: SessionTls | null;
  private level: 'C' | 'P';

  constructor(
    private readonly session: SecurableSession,
    private readonly tls: ServerConfig['tls'],
    start: ControlTlsStart,
  ) {
    if (start.mode === 'implicit') {
      this.sessionTls = start.sessionTls;
      this.upgrade = null;
      // Implicit FTPS clients expect protected data without asking (common practice: vsftpd's
      // implicit_ssl, FileZilla Server); PBSZ is implied because the connection began secure.
      this.hasProtectionBufferSize = true;
      this.level = 'C';
      this.protectionLevel = 'P';
    } else {
      this.sessionTls = null;
      this.upgrade = () => this.upgradeControlConnection(start.createSessionTls());
      this.hasProtectionBufferSize = false;
      this.level = 'C';
    }
    session.dataChannel.transferPolicy = () => this.checkTransferPolicy();
  }

  /** True once the control connection is TLS. */
  get isSecure(): boolean {
    return this.sessionTls !== null;
  }

  /** PROT level; setting P makes every following data connection TLS. */
  get protectionLevel(): 'C' | 'P' {
    return this.level;
  }

  set protectionLevel(level: 'C' | 'P') {
    this.level = level;
    const sessionTls = this.sessionTls;
    if (level === 'C' || sessionTls === null) {
      this.session.dataChannel.secureDataSocket = null;
      return;
    }
    this.session.dataChannel.secureDataSocket = (socket, signal) =>
      secureDataConnection(socket, signal, {
        ...sessionTls,
        requiresClientCertificate: this.tls.requireClientCert,
        requiresSessionReuse: this.tls.requireSessionReuse,
        onRefused: (reason) => this.session.log.warn({ reason }, 'refused a TLS data connection'),
      });
  }

  /** tls.requireForData: refuse a clear-text transfer before its 150 reply. */
  private checkTransferPolicy(): void {
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
