/**
 * One control connection: the read loop, serial dispatch, the idle timer, and one idempotent close
 * path (ARCHITECTURE.md convention 6). Commands run one at a time in arrival order; commands whose
 * spec says `allowedDuringTransfer` (ABOR, STAT, NOOP, QUIT) run at once while a transfer is running.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Account, Authenticator } from '../auth/authenticator.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { ServerConfig } from '../config/server-config.js';
import { parseCommandLine, redactCommandLine, type CommandLine } from '../protocol/command-line.js';
import { unmapIPv4 } from '../protocol/data-address.js';
import { LineReader } from '../protocol/line-reader.js';
import { formatReply } from '../protocol/reply.js';
import { ReplyCode } from '../protocol/reply-code.js';
import { resolveVirtualPath, type VirtualPath } from '../protocol/virtual-path.js';
import type { CommandContext, ControlSecurity } from './command-context.js';
import type { CommandRegistry } from './commands/registry.js';
import { DataChannel } from './data/data-channel.js';
import type { PassivePortPool } from './data/passive-port-pool.js';
import { TransferRunner } from './data/transfer.js';
import { dispatchCommand } from './dispatcher.js';
import { activityClock, type IdleSweeper } from './idle-sweeper.js';
import { CommandError } from './errors.js';
import type { ServerEventSink } from './server-events.js';
import { SessionState } from './session-state.js';

/** Shared 'error' listener for sockets not (yet) owned by a session: no closure per connection. */
export function destroyOnError(this: Socket): void {
  this.destroy();
}

/** The session of each control socket, for the shared socket listeners. */
const sessionsBySocket = new WeakMap<Socket, Session>();

/** Queued commands beyond this pause reading from the socket (backpressure for pipelining clients). */
const maxQueuedCommands = 32;
/**
 * Unsent reply bytes beyond this stop the session reading and running commands until the client
 * reads: a client that pipelines commands and never reads the replies must not make the server
 * buffer them without limit (a NOOP flood grew the process by 1 GB in 15 s).
 */
const maxPendingReplyBytes = 64 * 1024;
/** Sessions waiting for their control socket to drain (a set, not a field: idle sessions stay small). */
const sessionsAwaitingDrain = new WeakSet<Session>();
/** Overlong lines tolerated per session before it is closed. */
const maxOverlongLines = 3;

/** What a session needs from its server: one object shared by every session of that server. */
export interface SessionDependencies {
  readonly config: ServerConfig;
  readonly registry: CommandRegistry;
  readonly portPool: PassivePortPool;
  readonly authenticator: Authenticator;
  readonly loginThrottle: LoginThrottle;
  readonly events: ServerEventSink;
  readonly log: Logger;
  /** Port active connections are made from (0 = ephemeral). */
  readonly activeDataPort: number;
  /** The server's one idle-timeout sweeper. */
  readonly idleSweeper: IdleSweeper;
  /** Session ids are this prefix, a dash and the session's number. */
  readonly sessionIdPrefix: string;
  /** Called once after the session closed and released everything. */
  readonly onClosed: (session: Session, reason: string) => void;
}

/** One FTP control connection and its state. */
export class Session implements CommandContext {
  readonly state = new SessionState();
  readonly peerAddress: string;
  readonly security: ControlSecurity;
  /** activityClock() of the last command, read by the server's IdleSweeper. */
  lastActivityAt = activityClock();

  private socket: Socket;
  private readonly lineReader: LineReader;
  /** Commands waiting their turn; null while none wait (an idle session holds no array). */
  private queue: CommandLine[] | null = null;
  private isProcessing = false;
  private isClosed = false;
  private isClosing = false;
  private overlongLines = 0;
  private isReportingOverlongLine = false;
  // Created on first use: an idle session carries no data channel, transfer runner or child logger.
  private lazyDataChannel: DataChannel | null = null;
  private lazyTransfers: TransferRunner | null = null;
  private lazyLog: Logger | null = null;
  private logUser: string | null = null;

  /**
   * @param createSecurity builds the FTPS state (plain, explicit AUTH TLS, or implicit).
   */
  constructor(
    socket: Socket,
    private readonly dependencies: SessionDependencies,
    private readonly sessionNumber: number,
    createSecurity: (session: Session) => ControlSecurity,
  ) {
    this.socket = socket;
    this.peerAddress = unmapIPv4(socket.remoteAddress ?? '');
    this.lineReader = new LineReader(this.config.limits.maxCommandLineBytes);
    this.security = createSecurity(this);
  }

  /** The session's id in logs and events: the server's prefix and this session's number (made when asked for). */
  get sessionId(): string {
    return `${this.dependencies.sessionIdPrefix}-${this.sessionNumber}`;
  }

  /**
   * The server address the client connected to, read when a command needs it (PASV, EPSV): asking
   * the socket makes Node cache an address object on it, which an idle session can do without.
   */
  get localAddress(): string {
    return unmapIPv4(this.socket.localAddress ?? '');
  }

  // Read through from the shared dependencies rather than copied: an idle session stays small.
  get config(): ServerConfig {
    return this.dependencies.config;
  }
  get registry(): CommandRegistry {
    return this.dependencies.registry;
  }
  get authenticator(): Authenticator {
    return this.dependencies.authenticator;
  }
  get loginThrottle(): LoginThrottle {
    return this.dependencies.loginThrottle;
  }
  get events(): ServerEventSink {
    return this.dependencies.events;
  }

  /** The session's logger (sessionId, clientAddress and, after login, user); created on first use. */
  get log(): Logger {
    this.lazyLog ??= this.dependencies.log.child(this.logBindings());
    return this.lazyLog;
  }

  /** Add the user name to every later log line of this session. */
  bindLogUser(username: string): void {
    this.logUser = username;
    this.lazyLog = null;
  }

  /** Log one line with the session's fields without creating a child logger (cheap for idle sessions). */
  logEvent(level: 'info' | 'warn', fields: object, message: string): void {
    const root = this.dependencies.log;
    if (root.isLevelEnabled(level)) root[level]({ ...this.logBindings(), ...fields }, message);
  }

  private logBindings(): Record<string, string> {
    const bindings: Record<string, string> = { sessionId: this.sessionId, clientAddress: this.peerAddress };
    if (this.logUser !== null) bindings.user = this.logUser;
    return bindings;
  }

  /** The session's data connection state; created on first use. */
  get dataChannel(): DataChannel {
    this.lazyDataChannel ??= new DataChannel({
      portPool: this.dependencies.portPool,
      localAddress: this.localAddress,
      peerAddress: this.peerAddress,
      allowsForeignDataPeer: this.config.allowsForeignDataPeer,
      passiveAcceptTimeoutMs: this.config.limits.passiveAcceptTimeoutMs,
      activeConnectTimeoutMs: this.config.limits.activeConnectTimeoutMs,
      activeDataPort: this.dependencies.activeDataPort,
      onForeignConnection: (remoteAddress) =>
        this.log.warn({ remoteAddress }, 'refused a passive data connection from a foreign address'),
      protection: this.security,
    });
    return this.lazyDataChannel;
  }

  /** The session's transfer runner; created on first use. */
  get transfers(): TransferRunner {
    this.lazyTransfers ??= new TransferRunner({
      channel: this.dataChannel,
      reply: (replyCode, text) => this.reply(replyCode, text),
      dataStallTimeoutMs: this.config.limits.dataStallTimeoutMs,
      logFailure: (error) => this.log.error({ err: error }, 'transfer failed'),
    });
    return this.lazyTransfers;
  }

  /** True while a transfer runs (without creating a runner for sessions that never transferred). */
  private get isTransferring(): boolean {
    return this.lazyTransfers?.isActive ?? false;
  }

  /** The control socket currently in use (replaced by a TLS socket after AUTH TLS). */
  get controlSocket(): Socket {
    return this.socket;
  }

  /** Send the greeting and start reading commands. */
  start(greeting: string): void {
    this.attachSocket(this.socket);
    this.reply(ReplyCode.ServiceReady, greeting);
    this.dependencies.idleSweeper.track(this);
  }

  /** Move the session onto a new socket (the TLS socket wrapping the old one after AUTH TLS). */
  replaceSocket(socket: Socket): void {
    this.socket.off('data', Session.onControlData);
    this.socket = socket;
    this.attachSocket(socket);
  }

  /** Stop reading raw bytes (before a TLS handshake takes over the socket). */
  detachSocketReader(): void {
    this.socket.off('data', Session.onControlData);
  }

  reply(replyCode: number, text: string | readonly string[]): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.socket.write(formatReply(replyCode, text));
    if (this.isReplyBacklogged) this.holdInputUntilDrained();
  }

  private get isReplyBacklogged(): boolean {
    return this.socket.writableLength > maxPendingReplyBytes;
  }

  /** Stop reading commands until the client has read the pending replies ('drain'). */
  private holdInputUntilDrained(): void {
    if (sessionsAwaitingDrain.has(this)) return;
    sessionsAwaitingDrain.add(this);
    this.socket.pause();
    this.socket.once('drain', Session.onControlDrain);
  }

  private static onControlDrain(this: Socket): void {
    const session = sessionsBySocket.get(this);
    if (!session) return;
    sessionsAwaitingDrain.delete(session);
    if ((session.queue?.length ?? 0) < maxQueuedCommands / 2) this.resume();
    void session.processQueue();
  }

  requireAccount(): Account {
    if (!this.state.account) throw new CommandError(ReplyCode.NotLoggedIn, 'Please login with USER and PASS.');
    return this.state.account;
  }

  resolvePath(argument: string): VirtualPath {
    const path = resolveVirtualPath(this.state.cwd, argument);
    if (!path) throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Invalid path.');
    return path;
  }

  closeAfterReplies(reason: string): void {
    if (this.isClosing) return;
    this.isClosing = true;
    this.socket.end(() => this.close(reason));
    // A peer that never reads must not keep the session alive.
    setTimeout(() => this.close(reason), 2000).unref();
  }

  /** Release everything: timers, transfers, data ports, the socket. Idempotent. */
  close(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.dependencies.idleSweeper.untrack(this);
    void this.lazyTransfers?.abort();
    this.lazyDataChannel?.close();
    this.queue = null;
    this.socket.destroy();
    this.logEvent('info', { reason }, 'session closed');
    this.dependencies.onClosed(this, reason);
  }

  // Socket listeners are shared functions that find their session through a WeakMap, instead of
  // closures per session: part of keeping an idle session within a few KiB. No 'end' listener:
  // with allowHalfOpen off, Node ends our side at the client's EOF and 'close' follows, and a
  // second 'end' listener would cost the socket a listener array; processQueue closes a session
  // whose client half-closed while commands ran.
  private attachSocket(socket: Socket): void {
    sessionsBySocket.set(socket, this);
    // The server's interim error listener is no longer needed once the session listens.
    socket.off('error', destroyOnError);
    socket.on('data', Session.onControlData);
    socket.on('error', Session.onControlError);
    socket.on('close', Session.onControlClose);
  }

  private static onControlData(this: Socket, chunk: Buffer): void {
    sessionsBySocket.get(this)?.receive(chunk);
  }

  private static onControlError(this: Socket, error: Error): void {
    const session = sessionsBySocket.get(this);
    if (!session) return;
    if (session.dependencies.log.isLevelEnabled('debug')) session.log.debug({ err: error }, 'control connection error');
    session.close('control connection error');
  }

  private static onControlClose(this: Socket): void {
    sessionsBySocket.get(this)?.close('client closed the connection');
  }

  private receive(chunk: Buffer): void {
    if (this.isClosed || this.isClosing) return;
    for (const event of this.lineReader.push(chunk)) {
      if (event.kind === 'overflow') {
        if (!this.isReportingOverlongLine) this.rejectOverlongLine();
        this.isReportingOverlongLine = false;
        continue;
      }
      this.isReportingOverlongLine = false;
      this.accept(event.line);
    }
    // Reply as soon as a line is known to be too long, without waiting for its end (1 MB, no CRLF).
    if (this.lineReader.isDiscardingOverlongLine && !this.isReportingOverlongLine) {
      this.isReportingOverlongLine = true;
      this.rejectOverlongLine();
    }
  }

  private rejectOverlongLine(): void {
    this.overlongLines++;
    this.log.warn({ overlongLines: this.overlongLines }, 'command line too long');
    if (this.overlongLines >= maxOverlongLines) {
      this.reply(ReplyCode.ServiceNotAvailable, 'Too many overlong command lines; closing.');
      this.closeAfterReplies('too many overlong command lines');
      return;
    }
    this.reply(ReplyCode.SyntaxError, `Command line too long (limit ${this.config.limits.maxCommandLineBytes} bytes).`);
  }

  private accept(line: string): void {
    const command = parseCommandLine(line);
    if (!command) return; // RFC 959 has no empty command; ignore blank lines like vsftpd.
    const spec = this.registry.lookup(command.verb);
    // While replies are backed up only ABOR jumps the queue: a NOOP flood during a transfer would
    // otherwise add replies past the limit without ever waiting.
    if (spec?.allowedDuringTransfer && this.isTransferring && (spec.name === 'ABOR' || !this.isReplyBacklogged)) {
      void this.execute(command);
      return;
    }
    const queue = (this.queue ??= []);
    queue.push(command);
    if (queue.length >= maxQueuedCommands) this.socket.pause();
    void this.processQueue();
  }

  private async processQueue(): Promise<void> {
    if (this.isProcessing) return;
    this.isProcessing = true;
    try {
      for (let queue = this.queue; queue !== null && queue.length > 0 && !this.isClosed; queue = this.queue) {
        if (this.isReplyBacklogged) return; // onControlDrain runs the rest
        const command = queue.shift()!;
        if (queue.length < maxQueuedCommands / 2 && this.socket.isPaused() && !sessionsAwaitingDrain.has(this)) this.socket.resume();
        const running = this.execute(command);
        if (running) await running;
      }
    } finally {
      this.isProcessing = false;
    }
    // A drained queue keeps the backing store its first push grew (~170 bytes); an idle session
    // (most of a busy server) holds no array at all.
    if (this.queue?.length === 0) this.queue = null;
    if (!this.isClosed && this.socket.readableEnded) this.close('client closed the connection');
  }

  /** Run one command; a promise only while an asynchronous handler runs (see dispatchCommand). */
  private execute(command: CommandLine): Promise<void> | void {
    this.lastActivityAt = activityClock();
    if (this.dependencies.log.isLevelEnabled('debug')) this.log.debug({ command: redactCommandLine(command) }, 'command');
    let running: Promise<void> | void = undefined;
    try {
      running = dispatchCommand(this, this.registry.lookup(command.verb), command);
    } catch (error) {
      this.onDispatchFailure(error);
    }
    if (!running) {
      this.lastActivityAt = activityClock();
      return;
    }
    return running.then(
      () => {
        this.lastActivityAt = activityClock();
      },
      (error: unknown) => {
        this.onDispatchFailure(error);
        this.lastActivityAt = activityClock();
      },
    );
  }

  /** dispatchCommand replies to every failure itself; this is the last line of defence. */
  private onDispatchFailure(error: unknown): void {
    this.log.error({ err: error }, 'unexpected failure in command dispatch');
    this.reply(ReplyCode.LocalErrorInProcessing, 'Local error in processing.');
  }

  /** Called by the IdleSweeper; a running transfer counts as activity. */
  onIdleTimeout(): void {
    if (this.isClosed || this.isClosing) return;
    if (this.isTransferring) {
      this.lastActivityAt = activityClock();
      return;
    }
    this.reply(ReplyCode.ServiceNotAvailable, 'Timeout: closing control connection.');
    this.closeAfterReplies('idle timeout');
  }
}
