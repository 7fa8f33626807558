/**
 * The client's control connection: one socket, one bounded reply parser, replies handed out in
 * order, and one idempotent close path (basic-ftp's `closeWithError`). Socket creation happens in
 * `createControlSocket` only: plain TCP, or TLS from the first byte for implicit FTPS; explicit
 * FTPS (RFC 4217 §4) swaps the socket for a TLS one in `upgradeToTls` after AUTH TLS. While TLS is
 * up, the newest session (TLS 1.3 tickets arrive after the handshake) is kept for data connections
 * to resume (RFC 4217 §10: the server may require it to tie data connections to this client).
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { formatCommandLine } from '../protocol/command-line.js';
import { ReplyParseError, ReplyParser, type FtpReply } from '../protocol/reply.js';
import { isFailure, isPreliminary, ReplyCode } from '../protocol/reply-code.js';
import { unmapIPv4 } from '../protocol/data-address.js';
import {
  FtpBusyError,
  FtpConnectionClosedError,
  FtpProtocolError,
  FtpReplyError,
  FtpTimeoutError,
  FtpTlsError,
} from './errors.js';
import { tlsFailure, type TlsSettings } from './tls-settings.js';

/** Where to connect and how long to wait, all bounded. */
export interface ControlConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** TCP connect plus the 220 greeting must finish within this time. */
  readonly connectTimeoutMs: number;
  /** Longest wait for any one reply; on expiry the connection is closed (replies would be out of step). */
  readonly replyTimeoutMs: number;
  /** SECURITY: longest reply line accepted from the (untrusted) server, in bytes. */
  readonly maxReplyLineBytes: number;
  /** SECURITY: most lines in one multi-line reply, so an endless reply cannot exhaust memory. */
  readonly maxReplyLines: number;
  /** TLS settings when FTPS is used (explicit or implicit); null for plain FTP. */
  readonly tls: TlsSettings | null;
  /** TLS from the first byte (implicit FTPS) instead of AUTH TLS later. Needs `tls`. */
  readonly isImplicitTls: boolean;
}

/**
 * How long the first data connection waits for a TLS session to resume when none has arrived yet.
 * TLS 1.3 servers send tickets right after the handshake, so they are normally read with the
 * next reply; this only bounds the wait for a server that sends them late or never.
 */
const sessionTicketWaitMs = 2000;

/** SECURITY: replies nobody asked for are kept only up to this count; more is a protocol violation. */
const maxUnsolicitedReplies = 16;

interface ReplyWaiter {
  resolve(reply: FtpReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** The one place a control socket is created: TCP, or TLS at once for implicit FTPS. */
function createControlSocket(options: ControlConnectionOptions): Socket {
  if (options.isImplicitTls && options.tls) return connectTls({ ...options.tls.connectOptions, host: options.host, port: options.port });
  return connectTcp({ host: options.host, port: options.port });
}

/** A connected control channel that yields replies in order; see the module comment. */
export class ControlConnection {
  private parser: ReplyParser;
  private readonly queuedReplies: FtpReply[] = [];
  private waiter: ReplyWaiter | null = null;
  private closedError: Error | null = null;
  private readonly closeListeners = new Set<(error: Error) => void>();
  private socket: Socket;
  private detachSocket: () => void = () => undefined;
  /** The TLS socket once TLS is up (implicit: after the handshake; explicit: after AUTH TLS). */
  private secureSocket: TLSSocket | null = null;
  /** Newest TLS session from the server ('session' event), for data connections to resume. */
  private latestTlsSession: Buffer | null = null;
  private readonly sessionWaiters = new Set<() => void>();

  private constructor(
    socket: Socket,
    private readonly options: ControlConnectionOptions,
  ) {
    this.socket = socket;
    this.parser = this.createParser();
    if (options.isImplicitTls) this.attachTlsSocket(socket as TLSSocket, `control connection to ${describePeer(options)}`);
    else this.attachSocket(socket);
  }

  /** Connect and read the greeting (RFC 959 §5.4: 120 may precede 220). Rejects with FtpReplyError on 421. */
  static async open(options: ControlConnectionOptions): Promise<{ connection: ControlConnection; greeting: FtpReply }> {
    if (options.isImplicitTls && !options.tls) throw new TypeError('implicit TLS needs tls settings');
    const socket = createControlSocket(options);
    const connection = new ControlConnection(socket, options);
    const timer = setTimeout(() => {
      connection.close(new FtpTimeoutError(`no greeting from ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    try {
      let greeting = await connection.readReply(options.connectTimeoutMs);
      while (greeting.replyCode === ReplyCode.ServiceReadyInMinutes) greeting = await connection.readReply(options.connectTimeoutMs);
      if (isFailure(greeting.replyCode) || greeting.replyCode !== ReplyCode.ServiceReady) {
        const error = isFailure(greeting.replyCode)
          ? new FtpReplyError(greeting, 'greeting')
          : new FtpProtocolError(`unexpected greeting ${greeting.replyCode}`);
        connection.close(error);
        throw error;
      }
      return { connection, greeting };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Explicit FTPS (RFC 4217 §4): send AUTH TLS, and on 234 run the TLS handshake over this
   * connection. A refusal closes the connection with FtpTlsError: falling back to clear text would
   * send the password readable to anyone on the path.
   */
  async upgradeToTls(): Promise<void> {
    const tls = this.options.tls;
    if (!tls) throw new TypeError('upgradeToTls needs tls settings');
    if (this.secureSocket) return;
    const peer = `control connection to ${describePeer(this.options)}`;
    let reply: FtpReply;
    try {
      reply = await this.request('AUTH', 'TLS');
    } catch (error) {
      if (!(error instanceof FtpReplyError)) throw error;
      const refusal = new FtpTlsError(`the server refused AUTH TLS (${error.message}); it may not offer FTPS`, { cause: error });
      this.close(refusal);
      throw refusal;
    }
    if (reply.replyCode !== ReplyCode.SecurityDataExchangeComplete) {
      const error = new FtpTlsError(`AUTH TLS answered ${reply.replyCode}, expected 234`);
      this.close(error);
      throw error;
    }
    // SECURITY: bytes after the 234 but before the handshake were not protected by TLS; acting on
    // them would let a man in the middle inject replies (the STARTTLS injection bug, CVE-2011-0411).
    if (this.queuedReplies.length > 0 || this.parser.isInsideReply) {
      const error = new FtpProtocolError('server sent clear-text data after 234 and before the TLS handshake');
      this.close(error);
      throw error;
    }
    this.detachSocket();
    const plain = this.socket;
    // Errors of the wrapped socket surface on the TLS socket; this listener only keeps a late one
    // from becoming an uncaught exception.
    plain.on('error', () => undefined);
    const secure = connectTls({ ...tls.connectOptions, socket: plain });
    this.socket = secure;
    this.parser = this.createParser();
    this.attachTlsSocket(secure, peer);
    await this.whenSecure(secure, this.options.connectTimeoutMs, peer);
  }

  /** True once the control connection is protected by TLS. */
  get isSecure(): boolean {
    return this.secureSocket !== null && !this.isClosed;
  }

  /** The negotiated TLS version ("TLSv1.3", …), or null on a plain connection. */
  get tlsProtocol(): string | null {
    return this.secureSocket?.getProtocol() ?? null;
  }

  /**
   * `tls.connect` options for a PROT P data connection: the control connection's settings plus
   * its newest session, so the server sees a resumed session (vsftpd's require_ssl_reuse). Waits
   * briefly for a TLS 1.3 ticket if none has arrived yet; without one the server decides.
   */
  async dataTlsOptions(): Promise<ConnectionOptions> {
    const tls = this.options.tls;
    const secure = this.secureSocket;
    if (!tls || !secure) throw new FtpTlsError('data connections cannot be protected: the control connection is not TLS');
    if (!this.latestTlsSession && secure.getProtocol() === 'TLSv1.3') await this.waitForTlsSession(sessionTicketWaitMs);
    const session = this.latestTlsSession ?? secure.getSession();
    return { ...tls.connectOptions, ...(session ? { session } : {}) };
  }

  /** The server's address as seen on this socket, IPv4-mapped IPv6 unmapped. */
  get remoteAddress(): string {
    return unmapIPv4(this.socket.remoteAddress ?? this.options.host);
  }

  /** Our own address on this socket: the address a server can reach us at for active mode. */
  get localAddress(): string {
    return unmapIPv4(this.socket.localAddress ?? '');
  }

  /** True when the server is reached over IPv6 (PASV/PORT cannot be used then, RFC 2428 §1). */
  get isIPv6(): boolean {
    return this.socket.remoteFamily === 'IPv6' && !/^::ffff:/i.test(this.socket.remoteAddress ?? '');
  }

  /** True once closed; every later call fails with the close reason. */
  get isClosed(): boolean {
    return this.closedError !== null;
  }

  /** Register a callback for the close (called once, with the reason). */
  onClose(listener: (error: Error) => void): void {
    this.closeListeners.add(listener);
  }

  /** Send one command; throws CommandInjectionError for CR/LF/NUL and the close reason when closed. */
  send(verb: string, argument?: string): void {
    const line = formatCommandLine(verb, argument);
    if (this.closedError) throw this.closedError;
    this.socket.write(line, 'utf8');
  }

  /**
   * Send ABOR preceded by Telnet IP and Synch (RFC 959 §4.1.3). The Synch's DM byte goes as TCP
   * urgent data in spirit; Node cannot send out-of-band bytes, and servers that need OOB handle an
   * in-band ABOR after the transfer fails, which is why callers also tear the data socket down.
   */
  sendAbort(): void {
    if (this.closedError) throw this.closedError;
    // Inside TLS nothing is urgent and the Telnet bytes would only garble the command (curl and
    // lftp send a bare ABOR on FTPS too).
    if (!this.secureSocket) this.socket.write(Buffer.from([0xff, 0xf4, 0xff, 0xf2]));
    this.socket.write(formatCommandLine('ABOR'), 'utf8');
  }

  /**
   * The next reply (preliminary ones included). Only one reader may wait at a time. `Infinity`
   * waits without a limit: a transfer's final reply may take as long as the transfer itself.
   */
  readReply(timeoutMs = this.options.replyTimeoutMs): Promise<FtpReply> {
    const queued = this.queuedReplies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.waiter) return Promise.reject(new FtpBusyError('another reader is already waiting for a reply'));
    return new Promise<FtpReply>((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => this.close(new FtpTimeoutError(`no reply within ${timeoutMs} ms`)), timeoutMs)
        : undefined;
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Read replies until a final (non-1xx) one arrives and return it, whatever its code. */
  async readFinalReply(timeoutMs?: number): Promise<FtpReply> {
    let reply = await this.readReply(timeoutMs);
    while (isPreliminary(reply.replyCode)) reply = await this.readReply(timeoutMs);
    return reply;
  }

  /** Send a command and return its final reply; 4xx/5xx become FtpReplyError. */
  async request(verb: string, argument?: string): Promise<FtpReply> {
    this.send(verb, argument);
    const reply = await this.readFinalReply();
    if (isFailure(reply.replyCode)) throw new FtpReplyError(reply, describeCommand(verb, argument));
    return reply;
  }

  /** Close the connection once; pending and later calls fail with `error`. Idempotent. */
  close(error: Error = new FtpConnectionClosedError('control connection closed')): void {
    if (this.closedError) return;
    this.closedError = error;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
    for (const wake of this.sessionWaiters) wake();
  }

  private createParser(): ReplyParser {
    return new ReplyParser({ maxLineBytes: this.options.maxReplyLineBytes, maxReplyLines: this.options.maxReplyLines });
  }

  private attachSocket(socket: Socket, describeError = (error: Error): Error => new FtpConnectionClosedError(`control connection failed: ${error.message}`, { cause: error })): void {
    const onError = (error: Error) => this.close(describeError(error));
    const onClose = () => this.close(new FtpConnectionClosedError('control connection closed by the server'));
    const onData = (chunk: Buffer) => this.onData(chunk);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('data', onData);
    this.detachSocket = () => {
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('data', onData);
    };
  }

  /** Attach a TLS socket: failures before the handshake finished are TLS failures, named as such. */
  private attachTlsSocket(socket: TLSSocket, peer: string): void {
    let isTcpConnected = !socket.connecting;
    let isHandshakeDone = false;
    socket.once('connect', () => (isTcpConnected = true));
    socket.once('secureConnect', () => {
      isHandshakeDone = true;
      this.secureSocket = socket;
    });
    socket.on('session', (session: Buffer) => {
      this.latestTlsSession = session;
      for (const wake of this.sessionWaiters) wake();
    });
    this.attachSocket(socket, (error) =>
      isTcpConnected && !isHandshakeDone
        ? tlsFailure(error, peer)
        : new FtpConnectionClosedError(`control connection failed: ${error.message}`, { cause: error }),
    );
  }

  private whenSecure(socket: TLSSocket, timeoutMs: number, peer: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | null) => {
        clearTimeout(timer);
        this.closeListeners.delete(onClose);
        socket.off('secureConnect', onSecure);
        if (error) reject(error);
        else resolve();
      };
      const onSecure = () => finish(null);
      const onClose = (error: Error) => finish(error instanceof FtpConnectionClosedError ? new FtpTlsError(`TLS handshake on the ${peer} failed: ${error.message}`, { cause: error }) : error);
      const timer = setTimeout(() => this.close(new FtpTimeoutError(`TLS handshake on the ${peer} not finished within ${timeoutMs} ms`)), timeoutMs);
      if (this.closedError) return finish(this.closedError);
      this.closeListeners.add(onClose);
      socket.once('secureConnect', onSecure);
    });
  }

  private waitForTlsSession(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sessionWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.sessionWaiters.add(wake);
    });
  }

  private onData(chunk: Buffer): void {
    let replies: FtpReply[];
    try {
      replies = this.parser.push(chunk);
    } catch (error) {
      const reason = error instanceof ReplyParseError ? error.message : String(error);
      this.close(new FtpProtocolError(`invalid reply from server: ${reason}`, { cause: error }));
      return;
    }
    for (const reply of replies) {
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = null;
        clearTimeout(waiter.timer);
        waiter.resolve(reply);
      } else if (this.queuedReplies.length >= maxUnsolicitedReplies) {
        this.close(new FtpProtocolError('server sent too many unsolicited replies'));
        return;
      } else {
        this.queuedReplies.push(reply);
      }
    }
  }
}

function describePeer(options: ControlConnectionOptions): string {
  return options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
}

/** A command as it may appear in errors and logs: PASS arguments redacted. */
export function describeCommand(verb: string, argument?: string): string {
  if (verb.toUpperCase() === 'PASS') return 'PASS ****';
  return argument ? `${verb} ${argument}` : verb;
}
