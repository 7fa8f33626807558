/**
 * A tiny FTPS speaker for server tests: the shared ReplyParser over a socket that AUTH TLS (or the
 * implicit port) turns into TLS, and data connections that resume the control session, do a fresh
 * handshake, or stay clear, so tests can specify exactly what the server accepts.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect as connectTcp, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { connect as connectTls, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { createSelfSignedCertificate } from '../../src/cli/server/cert-command.js';
import { parseEpsvReplyText, parsePasvReplyText } from '../../src/protocol/data-address.js';
import { ReplyParser, type FtpReply } from '../../src/protocol/reply.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Certificate files written for one test. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Write a fresh self-signed certificate (as `ferry cert` does) into a temp directory. */
export async function makeCertificate(t: TestContext, directory?: string, commonName = 'localhost'): Promise<CertificateFiles> {
  const target = directory ?? (await makeTempDir(t, 'ferry-ftps-'));
  const certificate = await createSelfSignedCertificate({ commonName, days: 2 });
  const certFile = join(target, 'cert.pem');
  const keyFile = join(target, 'key.pem');
  await writeFile(certFile, certificate.certPem);
  await writeFile(keyFile, certificate.keyPem);
  return { certFile, keyFile, certPem: certificate.certPem, keyPem: certificate.keyPem };
}

/** How a data connection does TLS: resume the control session, a fresh handshake, or none. */
export type DataTls = 'resume' | 'fresh' | 'clear';

/** One control connection, clear or TLS. */
export class FtpsConnection {
  private readonly parser = new ReplyParser({ maxReplyLines: 100000 });
  private readonly replies: FtpReply[] = [];
  private waiters: ((reply: FtpReply | null) => void)[] = [];
  private isEnded = false;
  private latestSession: Buffer | null = null;
  private tlsSocket: TLSSocket | null = null;

  private constructor(
    private socket: Socket,
    private readonly tlsOptions: ConnectionOptions,
  ) {
    this.attach(socket);
  }

  /** Connect (TLS from the first byte when `isImplicit`), wait for the greeting, clean up after the test. */
  static async open(
    t: TestContext,
    port: number,
    options: { isImplicit?: boolean; tls?: ConnectionOptions } = {},
  ): Promise<{ connection: FtpsConnection; greeting: FtpReply }> {
    const tlsOptions: ConnectionOptions = { rejectUnauthorized: false, ...options.tls };
    let socket: Socket;
    const sessions: { latest: Buffer | null } = { latest: null };
    if (options.isImplicit) {
      const secure = connectTls({ host: '127.0.0.1', port, ...tlsOptions });
      t.after(() => secure.destroy());
      // TLS 1.2 delivers the session during the handshake: listen before awaiting it.
      secure.on('session', (session: Buffer) => (sessions.latest = session));
      await once(secure, 'secureConnect');
      socket = secure;
    } else {
      socket = connectTcp({ host: '127.0.0.1', port });
      t.after(() => socket.destroy());
      await once(socket, 'connect');
    }
    const connection = new FtpsConnection(socket, tlsOptions);
    if (options.isImplicit) connection.watchSessions(socket as TLSSocket, sessions.latest);
    const greeting = await connection.nextReply();
    return { connection, greeting };
  }

  /** Open, AUTH TLS, and log in as alice (PBSZ 0 and PROT P too unless `protection` is 'C'). */
  static async loginSecure(t: TestContext, port: number, options: { tls?: ConnectionOptions; protection?: 'C' | 'P' } = {}): Promise<FtpsConnection> {
    const { connection } = await FtpsConnection.open(t, port, options.tls ? { tls: options.tls } : {});
    await connection.startTls();
    await connection.expect('USER alice', 331);
    await connection.expect('PASS secret', 230);
    await connection.expect('PBSZ 0', 200);
    await connection.expect(`PROT ${options.protection ?? 'P'}`, 200);
    return connection;
  }

  /** The control connection's TLS socket (after AUTH TLS or on the implicit port). */
  get secureSocket(): TLSSocket {
    if (!this.tlsSocket) throw new Error('control connection is not TLS');
    return this.tlsSocket;
  }

  /** The server certificate seen on the control connection. */
  get peerCertificate(): PeerCertificate {
    return this.secureSocket.getPeerCertificate();
  }

  /** AUTH TLS, expect 234, then the TLS handshake on the control socket. */
  async startTls(verb = 'AUTH TLS'): Promise<TLSSocket> {
    await this.expect(verb, 234);
    const raw = this.socket;
    raw.removeAllListeners('data');
    const secure = connectTls({ socket: raw, ...this.tlsOptions });
    this.watchSessions(secure, null);
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  /** The newest TLS session of the control connection; waits for it (TLS 1.3 sends tickets after the handshake). */
  async controlSession(): Promise<Buffer> {
    if (this.latestSession) return this.latestSession;
    const [session] = (await once(this.secureSocket, 'session')) as [Buffer];
    return session;
  }

  /** The next reply; rejects when the connection closes first. */
  nextReply(timeoutMs = 10000): Promise<FtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.isEnded) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a reply')), timeoutMs);
      this.waiters.push((reply) => {
        clearTimeout(timer);
        if (reply) resolve(reply);
        else reject(new Error('connection closed'));
      });
    });
  }

  /** Resolve when the server closed the connection. */
  async waitForClose(): Promise<void> {
    if (this.isEnded) return;
    // Not events.once: that rejects on 'error', and a refused handshake ends with an alert error.
    await new Promise((resolve) => this.socket.once('close', resolve));
  }

  /** Send raw bytes on the current socket. */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Send a command and return its reply. */
  async send(line: string): Promise<FtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.nextReply();
  }

  /** Send and assert the reply code. */
  async expect(line: string, replyCode: number): Promise<FtpReply> {
    const reply = await this.send(line);
    if (reply.replyCode !== replyCode) {
      throw new Error(`${line.split(' ')[0]}: expected ${replyCode}, got ${reply.replyCode} ${reply.lines.join(' | ')}`);
    }
    return reply;
  }

  /**
   * Prepare a data connection (PASV/EPSV connect now, PORT/EPRT listen now) and return a function
   * that, once the transfer command was sent, yields the data socket after its TLS handshake.
   */
  async prepareData(t: TestContext, mode: 'PASV' | 'EPSV' | 'PORT' | 'EPRT', dataTls: DataTls): Promise<() => Promise<Socket>> {
    if (mode === 'PASV' || mode === 'EPSV') {
      const reply = await this.send(mode);
      const text = reply.lines.join(' ');
      const port = mode === 'PASV' ? parsePasvReplyText(text).port : parseEpsvReplyText(text);
      const raw = connectTcp({ host: '127.0.0.1', port });
      t.after(() => raw.destroy());
      await once(raw, 'connect');
      return () => this.secureData(t, raw, dataTls);
    }
    const listener = createServer();
    t.after(() => listener.close());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const argument = mode === 'PORT' ? `127,0,0,1,${port >> 8},${port & 255}` : `|1|127.0.0.1|${port}|`;
    await this.expect(`${mode} ${argument}`, 200);
    const accepted = new Promise<Socket>((resolve) =>
      listener.once('connection', (socket: Socket) => {
        t.after(() => socket.destroy());
        listener.close();
        resolve(socket);
      }),
    );
    return async () => this.secureData(t, await accepted, dataTls);
  }

  /** Close the control connection. */
  close(): void {
    this.socket.destroy();
  }

  private async secureData(t: TestContext, raw: Socket, dataTls: DataTls): Promise<Socket> {
    if (dataTls === 'clear') return raw;
    const session = dataTls === 'resume' ? await this.controlSession() : undefined;
    const secure = connectTls({ socket: raw, ...this.tlsOptions, ...(session ? { session } : {}) });
    t.after(() => secure.destroy());
    secure.on('error', () => secure.destroy());
    await once(secure, 'secureConnect');
    return secure;
  }

  private watchSessions(secure: TLSSocket, latest: Buffer | null): void {
    this.tlsSocket = secure;
    this.latestSession = latest;
    secure.on('session', (session: Buffer) => {
      this.latestSession = session;
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      for (const reply of this.parser.push(chunk)) {
        const waiter = this.waiters.shift();
        if (waiter) waiter(reply);
        else this.replies.push(reply);
      }
    });
    const end = () => {
      this.isEnded = true;
      for (const waiter of this.waiters) waiter(null);
      this.waiters = [];
    };
    socket.on('close', end);
    socket.on('error', end);
  }
}
