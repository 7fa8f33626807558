/**
 * FtpServer: listen/close, the set of sessions, global and per-IP limits, typed events.
 * Embeddable: `new FtpServer({ port: 0, root, users: [...] })`, `await listen()`, `await close()`.
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AccountAuthenticator } from '../auth/account-authenticator.js';
import type { Authenticator } from '../auth/authenticator.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { loadUsersFile } from '../auth/users-file.js';
import { parseServerConfig, type ServerConfig, type ServerConfigInput } from '../config/server-config.js';
import { unmapIPv4 } from '../protocol/data-address.js';
import { formatReply } from '../protocol/reply.js';
import { ReplyCode } from '../protocol/reply-code.js';
import type { ControlSecurity } from './command-context.js';
import { createCommandRegistry } from './commands/index.js';
import type { CommandRegistry } from './commands/registry.js';
import { PassivePortPool } from './data/passive-port-pool.js';
import { createLogger } from './logger.js';
import type { FtpServerEvents, ServerEventSink } from './server-events.js';
import { IdleSweeper } from './idle-sweeper.js';
import { destroyOnError, Session, type SessionDependencies } from './session.js';
import { SessionLimits } from './session-limits.js';
import { Ftps } from './tls/ftps.js';

/** Options for embedding: any config key, plus a custom authenticator and logger. */
export interface FtpServerOptions extends ServerConfigInput {
  /** Replaces the built-in accounts (users, users file, anonymous). */
  authenticator?: Authenticator;
  /** Replaces the logger built from `log`. */
  logger?: Logger;
  /** FTPS hook: builds each session's control-security state (see src/server/tls). */
  createSecurity?: (session: Session) => ControlSecurity;
}

/** Raised when the server cannot start, with a message meant for the operator. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  readonly code = 'ERR_FTP_SERVER_START';
}

/**
 * The security of every session on a server without FTPS: one frozen object shared by all of them
 * (PBSZ and PROT change it only on secure connections; a write would throw, never leak).
 */
const plainSecurity: ControlSecurity = Object.freeze({
  isSecure: false,
  canUpgrade: false,
  upgrade: () => Promise.reject(new Error('TLS is not configured on this server')),
  hasProtectionBufferSize: false,
  protectionLevel: 'C',
  protectsData: false,
  secureDataSocket: () => Promise.reject(new Error('TLS is not configured on this server')),
  checkTransferPolicy: () => {},
});

/** An FTP server. Emits `login`, `uploadFinished`, `downloadFinished`, `sessionClosed`. */
export class FtpServer extends EventEmitter<FtpServerEvents> {
  readonly config: ServerConfig;
  readonly log: Logger;
  private readonly registry: CommandRegistry;
  private readonly portPool: PassivePortPool;
  private readonly limits: SessionLimits;
  private readonly idleSweeper: IdleSweeper;
  private sessionDependencies: SessionDependencies | null = null;
  private readonly loginThrottle: LoginThrottle;
  private readonly sessions = new Set<Session>();
  private readonly extraListeners: Server[] = [];
  private listener: Server | null = null;
  private implicitListener: Server | null = null;
  private ftps: Ftps | null = null;
  private authenticator: Authenticator | null;
  private activeDataPort = 0;
  private nextSessionNumber = 1;
  private readonly sessionIdPrefix = randomBytes(3).toString('hex');
  private readonly options: FtpServerOptions;

  constructor(options: FtpServerOptions | ServerConfig = {}) {
    super();
    this.options = options as FtpServerOptions;
    const { authenticator, logger, createSecurity: _createSecurity, ...configInput } = this.options;
    this.config = parseServerConfig(configInput);
    this.log = logger ?? createLogger(this.config.log);
    this.authenticator = authenticator ?? null;
    this.registry = createCommandRegistry();
    this.portPool = new PassivePortPool(this.config.passivePortRange);
    this.limits = new SessionLimits(this.config.limits.maxSessions, this.config.limits.maxSessionsPerIp);
    this.idleSweeper = new IdleSweeper(this.config.limits.idleTimeoutMs);
    this.loginThrottle = new LoginThrottle({
      baseDelayMs: this.config.limits.loginFailureDelayMs,
      maxDelayMs: this.config.limits.maxLoginFailureDelayMs,
      banAfterFailures: this.config.limits.banAfterFailures,
      banDurationMs: this.config.limits.banDurationMs,
    });
    // Never let an 'error' event without listener crash an embedding application.
    this.on('error', (error) => this.log.error({ err: error }, 'server error'));
  }

  /** Start listening; resolves with the bound address. Fails with ServerStartError on a clear cause. */
  async listen(): Promise<AddressInfo> {
    if (this.listener) throw new ServerStartError('server is already listening');
    this.authenticator ??= await this.createDefaultAuthenticator();
    this.sessionDependencies = null;
    try {
      this.ftps = await Ftps.start(this.config, this.log);
    } catch (error) {
      throw new ServerStartError(`FTPS: ${(error as Error).message}`);
    }
    const server = createServer({ noDelay: true, keepAlive: true }, (socket) => this.onConnection(socket));
    const address = await listenWithFriendlyErrors(server, this.config.host, this.config.port);
    // Attached after listen succeeded: a failed listen is reported once, by the thrown ServerStartError.
    server.on('error', (error) => this.emit('error', error));
    this.listener = server;
    this.activeDataPort = await this.chooseActiveDataPort(address.port);
    if (this.ftps && this.config.tls.implicitPort !== null) {
      const ftps = this.ftps;
      const implicit = ftps.createImplicitListener((socket, sessionTls) =>
        this.onConnection(socket, (session) => ftps.implicitSecurity(session, sessionTls)),
      );
      implicit.on('error', (error) => this.emit('error', error));
      const implicitAddress = await listenWithFriendlyErrors(implicit, this.config.host, this.config.tls.implicitPort);
      this.implicitListener = implicit;
      this.adoptListener(implicit);
      this.log.info({ host: implicitAddress.address, port: implicitAddress.port }, 'listening for implicit FTPS');
    }
    this.log.info({ host: address.address, port: address.port, activeDataPort: this.activeDataPort || 'ephemeral' }, 'listening');
    return address;
  }

  /** The bound control address (after listen). */
  get address(): AddressInfo {
    const address = this.listener?.address();
    if (!address || typeof address === 'string') throw new Error('server is not listening');
    return address;
  }

  /** The bound implicit-FTPS address (after listen, when tls.implicitPort is set). */
  get implicitTlsAddress(): AddressInfo {
    const address = this.implicitListener?.address();
    if (!address || typeof address === 'string') throw new Error('server is not listening for implicit FTPS');
    return address;
  }

  /** Re-read the TLS certificate and key (SIGHUP); new sessions use them, open ones keep theirs. */
  async reloadCertificates(): Promise<void> {
    if (!this.ftps) throw new Error('FTPS is not configured');
    await this.ftps.reloadCertificates();
  }

  /** The certificate store (events `reload` and `reloadError`), or null without FTPS. */
  get tlsCertificates(): Ftps['certificates'] | null {
    return this.ftps?.certificates ?? null;
  }

  /** Number of open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Accept connections from an extra listener (FTPS implicit port) with the same sessions and limits. */
  adoptListener(server: Server): void {
    this.extraListeners.push(server);
  }

  /** Stop listening, close every session, release every port. */
  async close(): Promise<void> {
    const listeners = [this.listener, ...this.extraListeners].filter((server): server is Server => server !== null);
    this.listener = null;
    this.implicitListener = null;
    this.extraListeners.length = 0;
    this.ftps?.close();
    const closing = listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const session of [...this.sessions]) {
      session.reply(ReplyCode.ServiceNotAvailable, 'Server shutting down.');
      session.close('server shutting down');
    }
    await Promise.all(closing);
  }

  /** Handle a new control connection (also used by the implicit-FTPS listener). */
  onConnection(socket: Socket, createSecurity?: (session: Session) => ControlSecurity): void {
    socket.on('error', destroyOnError);
    const clientAddress = unmapIPv4(socket.remoteAddress ?? '');
    if (!socket.remoteAddress) {
      socket.destroy();
      return;
    }
    const admission = this.limits.admit(clientAddress);
    if (!admission.isAdmitted) {
      this.log.warn({ clientAddress, reason: admission.reason }, 'connection refused');
      socket.end(formatReply(ReplyCode.ServiceNotAvailable, admission.reason));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.sessionDependencies ??= this.createSessionDependencies();
    const session = new Session(socket, this.sessionDependencies, this.nextSessionNumber++, createSecurity ?? this.options.createSecurity ?? this.defaultSecurity());
    this.sessions.add(session);
    session.logEvent('info', {}, 'session opened');
    session.start('Ferry FTP server ready.');
  }

  /** The one dependencies object all sessions share (built once the authenticator and data port are known). */
  private createSessionDependencies(): SessionDependencies {
    return {
      config: this.config,
      registry: this.registry,
      portPool: this.portPool,
      authenticator: this.authenticator!,
      loginThrottle: this.loginThrottle,
      events: this.eventSink,
      log: this.log,
      activeDataPort: this.activeDataPort,
      idleSweeper: this.idleSweeper,
      sessionIdPrefix: this.sessionIdPrefix,
      onClosed: (closed, reason) => {
        this.sessions.delete(closed);
        this.limits.release(closed.peerAddress);
        this.emit('sessionClosed', {
          sessionId: closed.sessionId,
          clientAddress: closed.peerAddress,
          username: closed.state.account?.username ?? null,
          reason,
        });
      },
    };
  }

  /** FTPS when a certificate is configured (AUTH TLS possible), otherwise plain FTP. */
  private defaultSecurity(): (session: Session) => ControlSecurity {
    const ftps = this.ftps;
    return ftps ? (session) => ftps.explicitSecurity(session) : () => plainSecurity;
  }

  private readonly eventSink: ServerEventSink = {
    emitLogin: (event) => this.emit('login', event),
    emitUploadFinished: (event) => this.emit('uploadFinished', event),
    emitDownloadFinished: (event) => this.emit('downloadFinished', event),
  };

  private async createDefaultAuthenticator(): Promise<Authenticator> {
    const fileAccounts = this.config.usersFile ? await loadUsersFile(this.config.usersFile) : [];
    return new AccountAuthenticator({
      accounts: [...this.config.users, ...fileAccounts],
      defaultRoot: this.config.root,
      anonymous: {
        enabled: this.config.anonymous.enabled,
        root: this.config.anonymous.root,
        permissions: [...this.config.anonymous.permissions],
      },
      atomicUploads: this.config.uploads.atomic,
      fileIo: this.config.fileIo,
      // The reason (unknown user, missing home, …) goes to the log only; the client always sees 530.
      onFailure: (failure) => this.log.warn({ user: failure.username, reason: failure.reason, err: failure.cause }, 'login refused'),
    });
  }

  /**
   * RFC 959 §3.2: active connections come from the control port minus one (20 for 21). When that
   * port cannot be bound (no privilege, or in use), use ephemeral ports and say so once.
   */
  private async chooseActiveDataPort(controlPort: number): Promise<number> {
    // A server on an ephemeral control port (tests, embedding) has no conventional data port.
    if (this.config.activeDataPort === null && this.config.port === 0) return 0;
    const wanted = this.config.activeDataPort ?? controlPort - 1;
    if (wanted <= 0) return 0;
    try {
      const probe = createServer();
      await listenWithFriendlyErrors(probe, this.config.host, wanted);
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return wanted;
    } catch (error) {
      this.log.warn(
        { activeDataPort: wanted, reason: (error as Error).message },
        'active-mode data port unavailable; active connections will come from ephemeral ports',
      );
      return 0;
    }
  }
}

/** Listen, turning EACCES/EADDRINUSE into messages an operator can act on. */
async function listenWithFriendlyErrors(server: Server, host: string, port: number): Promise<AddressInfo> {
  try {
    return await listenOnce(server, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A machine without IPv6 cannot bind "::"; fall back to all IPv4 addresses.
    if ((code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL') && host === '::') return listenWithFriendlyErrors(server, '0.0.0.0', port);
    if (code === 'EACCES') {
      throw new ServerStartError(
        `cannot listen on port ${port}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port 2121)`,
      );
    }
    if (code === 'EADDRINUSE') throw new ServerStartError(`cannot listen on ${host} port ${port}: address already in use`);
    throw new ServerStartError(`cannot listen on ${host} port ${port}: ${(error as Error).message}`);
  }
}

function listenOnce(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
