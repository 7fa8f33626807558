/**
 * The client's control connection: one socket, one bounded reply parser, replies handed out in
 * order, and one idempotent close path (basic-ftp's `closeWithError`). Socket creation happens in
 * `createControlSocket` only, so explicit/implicit FTPS can wrap it in one place later.
 */
import { connect as connectTcp, type Socket } from 'node:net';
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
} from './errors.js';

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
}

/** SECURITY: replies nobody asked for are kept only up to this count; more is a protocol violation. */
const maxUnsolicitedReplies = 16;

interface ReplyWaiter {
  resolve(reply: FtpReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** The one place a control socket is created (the future TLS wrap point). */
function createControlSocket(host: string, port: number): Socket {
  return connectTcp({ host, port });
}

/** A connected control channel that yields replies in order; see the module comment. */
export class ControlConnection {
  private readonly parser: ReplyParser;
  private readonly queuedReplies: FtpReply[] = [];
  private waiter: ReplyWaiter | null = null;
  private closedError: Error | null = null;
  private readonly closeListeners = new Set<(error: Error) => void>();

  private constructor(
    private readonly socket: Socket,
    private readonly options: ControlConnectionOptions,
  ) {
    this.parser = new ReplyParser({ maxLineBytes: options.maxReplyLineBytes, maxReplyLines: options.maxReplyLines });
    socket.on('error', (error) => this.close(new FtpConnectionClosedError(`control connection failed: ${error.message}`, { cause: error })));
    socket.on('close', () => this.close(new FtpConnectionClosedError('control connection closed by the server')));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connect and read the greeting (RFC 959 §5.4: 120 may precede 220). Rejects with FtpReplyError on 421. */
  static async open(options: ControlConnectionOptions): Promise<{ connection: ControlConnection; greeting: FtpReply }> {
    const socket = createControlSocket(options.host, options.port);
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
    this.socket.write(Buffer.from([0xff, 0xf4, 0xff, 0xf2]));
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

/** A command as it may appear in errors and logs: PASS arguments redacted. */
export function describeCommand(verb: string, argument?: string): string {
  if (verb.toUpperCase() === 'PASS') return 'PASS ****';
  return argument ? `${verb} ${argument}` : verb;
}
