/**
 * Data connections for the client, in both modes:
 * - passive: EPSV (RFC 2428 §3) first, PASV (RFC 959 §4.1.2) when EPSV is refused; the refusal is
 *   remembered per client so later transfers go straight to PASV;
 * - active: listen locally, then EPRT (RFC 2428 §2) or PORT, and accept the server's connection.
 * Sockets are created in `connectDataSocket` and `listenForDataSocket` only; both pass through
 * `prepareDataSocket`, and with PROT P (RFC 4217 §9) `protectDataSocket` wraps each in TLS. The
 * client is the TLS client in both modes (RFC 4217 §12.4), and resumes the control connection's
 * session. The handshake starts on the first `connected()` call, which `runTransfer` makes for a
 * protected channel only once the server's 1xx reply arrived, as curl and lftp do: vsftpd sends
 * 150 before its TLS accept, and pyftpdlib 1.5.7 closes a data connection that speaks first.
 */
import { createServer, connect as connectTcp, type OnReadOpts, type Server, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  DataAddressError,
  formatEprtArgument,
  formatPortArgument,
  isSameHost,
  parseEpsvReplyText,
  parsePasvReplyText,
  unmapIPv4,
} from '../protocol/data-address.js';
import { isIPv4 } from 'node:net';
import { replyText } from '../protocol/reply.js';
import { readAcceptedSocketInto } from '../file-io/socket-read-into.js';
import type { ControlConnection } from './control-connection.js';
import { FtpAbortError, FtpDataConnectionError, FtpProtocolError, FtpReplyError, FtpTimeoutError } from './errors.js';
import { tlsFailure } from './tls-settings.js';

/** Who opens the data connection: the client (passive) or the server (active). */
export type DataMode = 'passive' | 'active';

/** Settings for opening data connections; fixed per client. */
export interface DataConnectionOptions {
  readonly mode: DataMode;
  /** Try EPSV before PASV (passive mode). */
  readonly usesEpsv: boolean;
  /** Try EPRT before PORT (active mode). */
  readonly usesEprt: boolean;
  /**
   * SECURITY: a 227 reply names an address; a hostile or misconfigured server can point it at a
   * third host (FTP bounce, RFC 2577 §3) or an internal one. Unless this is true, an address that
   * differs from the control peer is ignored and the control peer is used (curl's --ftp-skip-pasv-ip).
   */
  readonly allowsForeignPassiveAddress: boolean;
  /** Local address to listen on in active mode; defaults to the control socket's local address. */
  readonly activeListenAddress?: string;
  /** Address to advertise in EPRT/PORT (e.g. behind NAT); defaults to the listen address. */
  readonly activeAdvertisedAddress?: string;
  /** Inclusive local port range for active mode; default: any free port. */
  readonly activePortRange?: readonly [number, number];
  /** Connect (passive) or accept (active) must finish within this time. */
  readonly dataTimeoutMs: number;
}

/** What a client learned about the server's data commands; kept between transfers. */
export interface DataModeMemory {
  isEpsvRefused: boolean;
  isEprtRefused: boolean;
}

/** A data connection being set up; `connected` yields the socket once both sides are joined. */
export interface DataChannel {
  /** True for PROT P: the socket is TLS, and its handshake starts on the first `connected()` call. */
  readonly isProtected: boolean;
  /** True when the socket reads into the `readInto` buffers given to openDataChannel (else it emits chunks). */
  readonly readsInto: boolean;
  /**
   * Resolves with the data socket (passive: already connected; active: when the server connects),
   * after the TLS handshake when protected.
   */
  connected(signal: AbortSignal): Promise<Socket>;
  /** Destroy the listener and socket. Idempotent. */
  close(): void;
}

/**
 * Open a data channel in the configured mode, negotiating EPSV/PASV or EPRT/PORT on `control`.
 * With `tlsOptions` (PROT P) the data connection is TLS with these `tls.connect` options.
 * `readInto`: where a download's socket should read (net.connect's `onread`); honoured for plain
 * (not TLS) connections in either mode (`readsInto` tells whether it was).
 */
export async function openDataChannel(
  control: ControlConnection,
  options: DataConnectionOptions,
  memory: DataModeMemory,
  tlsOptions: ConnectionOptions | null = null,
  readInto: OnReadOpts | null = null,
): Promise<DataChannel> {
  const plainReadInto = tlsOptions === null ? readInto : null;
  return options.mode === 'active'
    ? openActive(control, options, memory, tlsOptions, plainReadInto)
    : openPassive(control, options, memory, tlsOptions, plainReadInto);
}

function prepareDataSocket(socket: Socket, onError: (error: Error) => void): Socket {
  // Every socket gets an error listener at creation; the pipeline reports errors after that.
  socket.on('error', onError);
  socket.setNoDelay(true);
  return socket;
}

/** A data socket, possibly still in its TLS handshake; `ready` settles when it can carry data. */
interface ProtectedDataSocket {
  readonly socket: Socket;
  readonly ready: Promise<Socket>;
}

/**
 * PROT P: wrap a connected data socket in TLS and start the handshake. `ready` rejects with
 * FtpTlsError (certificate, handshake) or FtpTimeoutError; it is never left unobserved.
 */
function protectDataSocket(plain: Socket, tlsOptions: ConnectionOptions | null, timeoutMs: number): ProtectedDataSocket {
  if (!tlsOptions) return { socket: plain, ready: Promise.resolve(plain) };
  const secure: TLSSocket = connectTls({ ...tlsOptions, socket: plain });
  const ready = new Promise<Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new FtpTimeoutError(`TLS handshake on the data connection not finished within ${timeoutMs} ms`));
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      // Node's TLSWrap marks the handshake's last flight as still being written until its own
      // setImmediate; an end() before that (an empty upload) loses or garbles the close_notify:
      // vsftpd answers 426, pyftpdlib sees EOF inside the handshake and never replies.
      setImmediate(() => resolve(secure));
    });
    secure.once('close', () => {
      clearTimeout(timer);
      reject(new FtpDataConnectionError('data connection closed during the TLS handshake'));
    });
    // The listener stays: after the handshake, errors reach the transfer through its pipeline.
    secure.on('error', (error) => {
      clearTimeout(timer);
      reject(tlsFailure(error, 'data connection'));
    });
  });
  ready.catch(() => undefined);
  return { socket: secure, ready };
}

async function openPassive(
  control: ControlConnection,
  options: DataConnectionOptions,
  memory: DataModeMemory,
  tlsOptions: ConnectionOptions | null,
  readInto: OnReadOpts | null,
): Promise<DataChannel> {
  let target: { host: string; port: number } | null = null;
  if (options.usesEpsv && !memory.isEpsvRefused) {
    try {
      const reply = await control.request('EPSV');
      target = { host: control.remoteAddress, port: parseEpsvReplyText(replyText(reply)) };
    } catch (error) {
      if (error instanceof DataAddressError) throw new FtpProtocolError(`unreadable 229 reply: ${error.message}`);
      if (!(error instanceof FtpReplyError)) throw error;
      // 5xx: the server does not do EPSV at all (RFC 2428 §3 suggests 502 or 522); stop asking.
      if (error.replyCode >= 500) memory.isEpsvRefused = true;
    }
  }
  if (!target) {
    if (control.isIPv6) throw new FtpDataConnectionError('EPSV was refused and PASV cannot address an IPv6 server');
    const reply = await control.request('PASV');
    let announced;
    try {
      announced = parsePasvReplyText(replyText(reply));
    } catch (error) {
      throw new FtpProtocolError(`unreadable 227 reply: ${(error as Error).message}`);
    }
    const isForeign = !isSameHost(announced.host, control.remoteAddress);
    target = isForeign && !options.allowsForeignPassiveAddress ? { host: control.remoteAddress, port: announced.port } : announced;
  }
  const plain = await connectDataSocket(target.host, target.port, options.dataTimeoutMs, readInto);
  let prepared: ProtectedDataSocket | null = null;
  return {
    isProtected: tlsOptions !== null,
    readsInto: readInto !== null,
    connected: (signal) => {
      if (signal.aborted) return Promise.reject(new FtpAbortError('transfer aborted'));
      prepared ??= protectDataSocket(plain, tlsOptions, options.dataTimeoutMs);
      return untilReadyOrAborted(prepared.ready, signal);
    },
    close: () => {
      prepared?.socket.destroy();
      plain.destroy();
    },
  };
}

function untilReadyOrAborted(ready: Promise<Socket>, signal: AbortSignal): Promise<Socket> {
  if (signal.aborted) return Promise.reject(new FtpAbortError('transfer aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new FtpAbortError('transfer aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    ready.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function connectDataSocket(host: string, port: number, timeoutMs: number, readInto: OnReadOpts | null): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = prepareDataSocket(connectTcp({ host, port, ...(readInto ? { onread: readInto } : {}) }), (error) => {
      clearTimeout(timer);
      reject(new FtpDataConnectionError(`cannot open data connection to ${host}:${port}: ${error.message}`, { cause: error }));
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new FtpTimeoutError(`data connection to ${host}:${port} not established within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

async function openActive(
  control: ControlConnection,
  options: DataConnectionOptions,
  memory: DataModeMemory,
  tlsOptions: ConnectionOptions | null,
  readInto: OnReadOpts | null,
): Promise<DataChannel> {
  const listenAddress = options.activeListenAddress ?? control.localAddress;
  // Accepted paused, so that the socket can be moved to one reading into `readInto` before it read a byte.
  const server = await listenForDataSocket(listenAddress, options.activePortRange, readInto !== null);
  const channel = new ActiveDataChannel(server, control.remoteAddress, options.dataTimeoutMs, tlsOptions, readInto);
  try {
    const listening = server.address();
    if (listening === null || typeof listening === 'string') throw new FtpDataConnectionError('active listener has no address');
    const unspecified = listenAddress === '0.0.0.0' || listenAddress === '::';
    const host = unmapIPv4(options.activeAdvertisedAddress ?? (unspecified ? control.localAddress : listening.address));
    const address = { host, port: listening.port };
    let isAnnounced = false;
    if (options.usesEprt && !memory.isEprtRefused) {
      try {
        await control.request('EPRT', formatEprtArgument(address));
        isAnnounced = true;
      } catch (error) {
        if (!(error instanceof FtpReplyError)) throw error;
        if (error.replyCode >= 500) memory.isEprtRefused = true;
      }
    }
    if (!isAnnounced) {
      if (!isIPv4(host)) throw new FtpDataConnectionError('EPRT was refused and PORT cannot carry an IPv6 address');
      await control.request('PORT', formatPortArgument(address));
    }
    return channel;
  } catch (error) {
    channel.close();
    throw error;
  }
}

async function listenForDataSocket(host: string, portRange: readonly [number, number] | undefined, pauseOnConnect: boolean): Promise<Server> {
  const candidates = portRange ? shuffledPorts(portRange) : [0];
  let lastError: Error | null = null;
  for (const port of candidates) {
    const server = createServer({ pauseOnConnect });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (error) {
      lastError = error as Error;
      server.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new FtpDataConnectionError(`cannot listen for an active data connection on ${host}: ${lastError?.message ?? 'no port'}`, {
    cause: lastError,
  });
}

function shuffledPorts([low, high]: readonly [number, number]): number[] {
  const ports: number[] = [];
  for (let port = low; port <= high; port++) ports.push(port);
  for (let index = ports.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [ports[index], ports[other]] = [ports[other]!, ports[index]!];
  }
  return ports;
}

/** Active mode: one listener that accepts exactly one connection, and only from the control peer. */
class ActiveDataChannel implements DataChannel {
  private socket: Socket | null = null;
  private accepted: ProtectedDataSocket | null = null;
  private isClosed = false;
  private onAccepted: (() => void) | null = null;
  private isReadingInto = false;

  constructor(
    private readonly server: Server,
    private readonly controlPeer: string,
    private readonly timeoutMs: number,
    private readonly tlsOptions: ConnectionOptions | null,
    private readonly readInto: OnReadOpts | null,
  ) {
    server.on('error', () => this.close());
    // Listening from the start: the server may connect before the caller asks for the socket.
    server.on('connection', (accepted: Socket) => {
      prepareDataSocket(accepted, () => accepted.destroy());
      // SECURITY: only the server we talk to may connect; anyone else could inject or steal data
      // on a guessable port (RFC 2577 §5 "port stealing").
      if (this.socket || this.isClosed || !isSameHost(accepted.remoteAddress ?? '', this.controlPeer)) {
        accepted.destroy();
        return;
      }
      // net.Server has no `onread` option: the paused socket's handle moves to a socket that has one.
      const adopted = this.readInto ? readAcceptedSocketInto(accepted, this.readInto) : null;
      const socket = adopted ? prepareDataSocket(adopted, () => adopted.destroy()) : accepted;
      this.isReadingInto = adopted !== null;
      this.socket = socket;
      this.server.close();
      this.onAccepted?.();
    });
  }

  get isProtected(): boolean {
    return this.tlsOptions !== null;
  }

  get readsInto(): boolean {
    return this.isReadingInto;
  }

  async connected(signal: AbortSignal): Promise<Socket> {
    const socket = await this.waitForAccept(signal);
    this.accepted ??= protectDataSocket(socket, this.tlsOptions, this.timeoutMs);
    return untilReadyOrAborted(this.accepted.ready, signal);
  }

  private waitForAccept(signal: AbortSignal): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | null) => {
        clearTimeout(timer);
        this.onAccepted = null;
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(this.socket!);
      };
      const onAbort = () => finish(new FtpAbortError('transfer aborted'));
      const timer = setTimeout(
        () => finish(new FtpTimeoutError(`server did not open the data connection within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      if (this.isClosed) return finish(new FtpDataConnectionError('data channel closed'));
      if (signal.aborted) return onAbort();
      if (this.socket) return finish(null);
      signal.addEventListener('abort', onAbort, { once: true });
      this.onAccepted = () => finish(null);
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.server.close();
    this.accepted?.socket.destroy();
    this.socket?.destroy();
  }
}
