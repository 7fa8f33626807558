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
import { CommandError } from './errors.js';
import type { ServerEventSink } from './server-events.js';
import { SessionState } from './session-state.js';

/** Queued commands beyond this pause reading from the socket (backpressure for pipelining clients). */
const maxQueuedCommands = 32;
/** Overlong lines tolerated per session before it is closed. */
const maxOverlongLines = 3;

/** What a session needs from its server. */
export interface SessionDependencies {
  readonly sessionId: string;
  readonly config: ServerConfig;
  readonly registry: CommandRegistry;
  readonly portPool: PassivePortPool;
  readonly authenticator: Authenticator;
  readonly loginThrottle: LoginThrottle;
  readonly events: ServerEventSink;
  readonly log: Logger;
  /** Port active connections are made from (0 = ephemeral). */
  readonly activeDataPort: number;
  /** Builds the FTPS security state for this session (null upgrade when TLS is not configured). */
  readonly createSecurity: (session: Session) => ControlSecurity;
  /** Called once after the session closed and released everything. */
  readonly onClosed: (session: Session, reason: string) => void;
}

/** One FTP control connection and its state. */
export class Session implements CommandContext {
  readonly state = new SessionState();
  readonly sessionId: string;
  readonly config: ServerConfig;
  readonly registry: CommandRegistry;
  readonly authenticator: Authenticator;
  readonly loginThrottle: LoginThrottle;
  readonly events: ServerEventSink;
  readonly peerAddress: string;
  readonly localAddress: string;
  readonly dataChannel: DataChannel;
  readonly transfers: TransferRunner;
  readonly security: ControlSecurity;
  log: Logger;

  private socket: Socket;
  private readonly lineReader: LineReader;
  private readonly queue: CommandLine[] = [];
  private isProcessing = false;
  private isClosed = false;
  private isClosing = false;
  private overlongLines = 0;
  private isReportingOverlongLine = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly closeController = new AbortController();
  private readonly onSocketData = (chunk: Buffer) => this.receive(chunk);

  constructor(socket: Socket, private readonly dependencies: SessionDependencies) {
    this.socket = socket;
    this.sessionId = dependencies.sessionId;
    this.config = dependencies.config;
    this.registry = dependencies.registry;
    this.authenticator = dependencies.authenticator;
    this.loginThrottle = dependencies.loginThrottle;
    this.events = dependencies.events;
    this.peerAddress = unmapIPv4(socket.remoteAddress ?? '');
    this.localAddress = unmapIPv4(socket.localAddress ?? '');
    this.log = dependencies.log.child({ sessionId: this.sessionId, clientAddress: this.peerAddress });
    this.lineReader = new LineReader(this.config.limits.maxCommandLineBytes);
    this.dataChannel = new DataChannel({
      portPool: dependencies.portPool,
      localAddress: this.localAddress,
      peerAddress: this.peerAddress,
      allowsForeignDataPeer: this.config.allowsForeignDataPeer,
      passiveAcceptTimeoutMs: this.config.limits.passiveAcceptTimeoutMs,
      activeConnectTimeoutMs: this.config.limits.activeConnectTimeoutMs,
      activeDataPort: dependencies.activeDataPort,
      onForeignConnection: (remoteAddress) =>
        this.log.warn({ remoteAddress }, 'refused a passive data connection from a foreign address'),
    });
    this.transfers = new TransferRunner({
      channel: this.dataChannel,
      reply: (replyCode, text) => this.reply(replyCode, text),
      dataStallTimeoutMs: this.config.limits.dataStallTimeoutMs,
      sessionSignal: this.closeController.signal,
      logFailure: (error) => this.log.error({ err: error }, 'transfer failed'),
    });
    this.security = dependencies.createSecurity(this);
  }

  /** Signal aborted when the session closes (for work that must stop with it). */
  get closedSignal(): AbortSignal {
    return this.closeController.signal;
  }

  /** The control socket currently in use (replaced by a TLS socket after AUTH TLS). */
  get controlSocket(): Socket {
    return this.socket;
  }

  /** Send the greeting and start reading commands. */
  start(greeting: string): void {
    this.attachSocket(this.socket);
    this.reply(ReplyCode.ServiceReady, greeting);
    this.touchIdleTimer();
  }

  /** Move the session onto a new socket (the TLS socket wrapping the old one after AUTH TLS). */
  replaceSocket(socket: Socket): void {
    this.socket.off('data', this.onSocketData);
    this.socket = socket;
    this.attachSocket(socket);
  }

  /** Stop reading raw bytes (before a TLS handshake takes over the socket). */
  detachSocketReader(): void {
    this.socket.off('data', this.onSocketData);
  }

  reply(replyCode: number, text: string | readonly string[]): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.socket.write(formatReply(replyCode, text));
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
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.closeController.abort();
    this.dataChannel.close();
    this.queue.length = 0;
    this.socket.destroy();
    this.log.info({ reason, user: this.state.account?.username ?? null }, 'session closed');
    this.dependencies.onClosed(this, reason);
  }

  private attachSocket(socket: Socket): void {
    socket.on('data', this.onSocketData);
    socket.on('error', (error) => {
      this.log.debug({ err: error }, 'control connection error');
      this.close('control connection error');
    });
    socket.on('close', () => this.close('client closed the connection'));
    socket.on('end', () => {
      // The client half-closed: finish what is queued, then close (QUIT-less clients).
      if (!this.isProcessing && this.queue.length === 0) this.close('client closed the connection');
    });
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
    if (spec?.allowedDuringTransfer && this.transfers.isActive) {
      void this.execute(command);
      return;
    }
    this.queue.push(command);
    if (this.queue.length >= maxQueuedCommands) this.socket.pause();
    void this.processQueue();
  }

  private async processQueue(): Promise<void> {
    if (this.isProcessing) return;
    this.isProcessing = true;
    try {
      while (this.queue.length > 0 && !this.isClosed) {
        const command = this.queue.shift()!;
        if (this.queue.length < maxQueuedCommands / 2 && this.socket.isPaused()) this.socket.resume();
        await this.execute(command);
      }
    } finally {
      this.isProcessing = false;
    }
    if (!this.isClosed && this.socket.readableEnded) this.close('client closed the connection');
  }

  private async execute(command: CommandLine): Promise<void> {
    this.touchIdleTimer();
    this.log.debug({ command: redactCommandLine(command) }, 'command');
    try {
      await dispatchCommand(this, this.registry.lookup(command.verb), command);
    } catch (error) {
      // dispatchCommand replies to every failure itself; this is the last line of defence.
      this.log.error({ err: error }, 'unexpected failure in command dispatch');
      this.reply(ReplyCode.LocalErrorInProcessing, 'Local error in processing.');
    }
    this.touchIdleTimer();
  }

  private touchIdleTimer(): void {
    if (this.isClosed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onIdle(), this.config.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    if (this.transfers.isActive) {
      this.touchIdleTimer();
      return;
    }
    this.reply(ReplyCode.ServiceNotAvailable, 'Timeout: closing control connection.');
    this.closeAfterReplies('idle timeout');
  }
}
