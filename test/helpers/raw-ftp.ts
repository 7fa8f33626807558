/**
 * A deliberately tiny FTP speaker for server tests: raw socket, the shared ReplyParser, explicit
 * commands. Tests see exactly the replies the server sends; nothing is hidden by a client library.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { parseEpsvReplyText, parsePasvReplyText } from '../../src/protocol/data-address.js';
import { ReplyParser, type FtpReply } from '../../src/protocol/reply.js';

/** One control connection to a server under test. */
export class RawFtpConnection {
  private readonly parser = new ReplyParser({ maxReplyLines: 100000 });
  private readonly replies: FtpReply[] = [];
  private waiters: ((reply: FtpReply | null) => void)[] = [];
  private isEnded = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const reply of this.parser.push(chunk)) this.deliver(reply);
    });
    const end = () => {
      this.isEnded = true;
      for (const waiter of this.waiters) waiter(null);
      this.waiters = [];
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connect, wait for the greeting, and register cleanup with the test. */
  static async open(t: TestContext, port: number, host = '127.0.0.1'): Promise<{ connection: RawFtpConnection; greeting: FtpReply }> {
    const socket = connect({ host, port });
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connection = new RawFtpConnection(socket);
    const greeting = await connection.nextReply();
    return { connection, greeting };
  }

  /** Open and log in. */
  static async login(t: TestContext, port: number, user = 'alice', password = 'secret', host = '127.0.0.1'): Promise<RawFtpConnection> {
    const { connection } = await RawFtpConnection.open(t, port, host);
    await connection.expect(`USER ${user}`, 331);
    await connection.expect(`PASS ${password}`, 230);
    return connection;
  }

  private deliver(reply: FtpReply): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(reply);
    else this.replies.push(reply);
  }

  /** The next reply; rejects when the connection closes first or after the timeout. */
  nextReply(timeoutMs = 10000): Promise<FtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.isEnded) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== onReply);
        reject(new Error('timed out waiting for a reply'));
      }, timeoutMs);
      const onReply = (reply: FtpReply | null) => {
        clearTimeout(timer);
        if (reply) resolve(reply);
        else reject(new Error('connection closed'));
      };
      this.waiters.push(onReply);
    });
  }

  /** Resolve when the server has closed the connection. */
  waitForClose(timeoutMs = 10000): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Send raw bytes. */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Send a command line (CRLF added) and return its reply. */
  async send(line: string): Promise<FtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.nextReply();
  }

  /** Send and assert the reply code; returns the reply. */
  async expect(line: string, replyCode: number): Promise<FtpReply> {
    const reply = await this.send(line);
    if (reply.replyCode !== replyCode) {
      throw new Error(`${line.split(' ')[0]}: expected ${replyCode}, got ${reply.replyCode} ${reply.lines.join(' | ')}`);
    }
    return reply;
  }

  /** PASV (or EPSV) and connect to the advertised port; returns the connected data socket. */
  async openPassive(t: TestContext, verb: 'PASV' | 'EPSV' = 'PASV'): Promise<Socket> {
    const reply = await this.send(verb);
    if (reply.replyCode !== (verb === 'PASV' ? 227 : 229)) throw new Error(`${verb} failed: ${reply.replyCode} ${reply.lines.join(' ')}`);
    const text = reply.lines.join(' ');
    const port = verb === 'PASV' ? parsePasvReplyText(text).port : parseEpsvReplyText(text);
    const host = verb === 'PASV' ? parsePasvReplyText(text).host : this.socket.remoteAddress!;
    const data = connect({ host, port });
    t.after(() => data.destroy());
    await new Promise<void>((resolve, reject) => {
      data.once('connect', resolve);
      data.once('error', reject);
    });
    return data;
  }

  /** Listen for an active-mode connection and send PORT/EPRT for it. */
  async openActive(t: TestContext, verb: 'PORT' | 'EPRT' = 'PORT'): Promise<{ accepted: Promise<Socket> }> {
    const listener = createServer();
    t.after(() => listener.close());
    const localAddress = this.socket.localAddress!;
    await new Promise<void>((resolve) => listener.listen(0, localAddress, resolve));
    const { port } = listener.address() as AddressInfo;
    const argument =
      verb === 'PORT'
        ? `${localAddress.replace(/^::ffff:/, '').split('.').join(',')},${port >> 8},${port & 255}`
        : `|${localAddress.includes(':') ? 2 : 1}|${localAddress}|${port}|`;
    await this.expect(`${verb} ${argument}`, 200);
    // Wrapped in an object: awaiting openActive must not wait for the connection itself.
    const accepted = new Promise<Socket>((resolve) => {
      listener.once('connection', (socket) => {
        t.after(() => socket.destroy());
        listener.close();
        resolve(socket);
      });
    });
    return { accepted };
  }

  /** Close the control connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** Read a socket to its end. */
export async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Write data and end the socket, resolving once it is flushed. */
export function writeAndEnd(socket: Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.end(data, () => resolve());
  });
}
