/**
 * The session's pending data connection, in either mode. PASV/EPSV/PORT/EPRT prepare it; a
 * transfer command opens it (consuming the preparation). A new preparation replaces the old one,
 * and `close()` releases ports and sockets when the session ends. This is the TLS wrap point:
 * while the session's `protection` says PROT P is in effect, every opened socket is secured.
 */
import type { OnReadOpts, Socket } from 'node:net';
import type { DataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import { connectActive } from './active-connector.js';
import { PassiveListener, socketOnDescriptor } from './passive-listener.js';
import type { PassivePortPool } from './passive-port-pool.js';
import { readAcceptedSocketInto } from '../../file-io/socket-read-into.js';

/** What the channel needs to know about its session and the server's policy. */
export interface DataChannelOptions {
  readonly portPool: PassivePortPool;
  /** Local address of the control connection: passive listeners bind here, active connects from here. */
  readonly localAddress: string;
  /** Remote address of the control connection: the only peer accepted by default. */
  readonly peerAddress: string;
  readonly allowsForeignDataPeer: boolean;
  readonly passiveAcceptTimeoutMs: number;
  readonly activeConnectTimeoutMs: number;
  /** Port active connections are made from (0 = ephemeral). */
  readonly activeDataPort: number;
  readonly onForeignConnection?: (remoteAddress: string) => void;
  /** The session's FTPS state (its ControlSecurity), asked at each transfer: PROT level and policy. */
  readonly protection: DataProtection;
}

/**
 * Which way a transfer's bytes go, from the server's side: 'download' for RETR and listings (the
 * server sends), 'upload' for STOR/APPE/STOU. FTPS uses it: only a resumed download gets a fresh
 * TLS ticket (see tls/session-resumption.ts).
 */
export type DataDirection = 'download' | 'upload';

/** What the data connections need from the session's FTPS state. */
export interface DataProtection {
  /** True while PROT P is in effect on a secure control connection: data sockets become TLS. */
  readonly protectsData: boolean;
  /** Turn a raw data socket into TLS (only asked while `protectsData`); gives up when the signal aborts. */
  secureDataSocket(socket: Socket, signal: AbortSignal, direction: DataDirection): Promise<Socket>;
  /** Throw CommandError when policy refuses a transfer now (tls.requireForData with PROT C). */
  checkTransferPolicy(): void;
}

let descriptorsTaken = 0;

/** For tests: how many passive connections were taken as bare descriptors so far. */
export function passiveDescriptorsTaken(): number {
  return descriptorsTaken;
}

type Preparation = { mode: 'passive'; listener: PassiveListener } | { mode: 'active'; target: DataAddress };

/** An opened data connection; `readsInto` says whether the socket reads into the `onread` buffers asked for. */
export interface OpenedDataSocket {
  readonly socket: Socket;
  readonly readsInto: boolean;
}

/** One session's data-connection state machine. */
export class DataChannel {
  private preparation: Preparation | null = null;
  private openSocket: Socket | null = null;

  constructor(private readonly options: DataChannelOptions) {}

  /** Start a passive listener (replacing any earlier preparation) and return its port. */
  async listenPassive(): Promise<number> {
    this.clearPreparation();
    const reserved = await this.options.portPool.reserve(this.options.localAddress);
    const listener = new PassiveListener(reserved, {
      allowedPeerAddress: this.options.peerAddress,
      allowsForeignDataPeer: this.options.allowsForeignDataPeer,
      acceptTimeoutMs: this.options.passiveAcceptTimeoutMs,
      ...(this.options.onForeignConnection ? { onForeignConnection: this.options.onForeignConnection } : {}),
    });
    this.preparation = { mode: 'passive', listener };
    return listener.port;
  }

  /** Remember the client's address for the next transfer (PORT/EPRT). */
  setActiveTarget(target: DataAddress): void {
    this.clearPreparation();
    this.preparation = { mode: 'active', target };
  }

  /** True when PASV/EPSV/PORT/EPRT prepared a connection for the next transfer. */
  get isPrepared(): boolean {
    return this.preparation !== null;
  }

  /** Which mode the next transfer uses, if prepared. */
  get preparedMode(): 'passive' | 'active' | null {
    return this.preparation?.mode ?? null;
  }

  /** Throw CommandError when the policy refuses the next transfer; the preparation is then dropped. */
  assertTransferAllowed(): void {
    // Like vsftpd: no PASV/PORT yet is a 425 straight away, without a misleading 150 first.
    if (!this.preparation) throw new CommandError(ReplyCode.CannotOpenDataConnection, 'Use PORT, EPRT, PASV or EPSV first.');
    try {
      this.options.protection.checkTransferPolicy();
    } catch (error) {
      this.clearPreparation();
      throw error;
    }
  }

  /**
   * Open the prepared data connection (425 when none was prepared or it cannot be made).
   * The preparation is consumed: every transfer needs a new PASV/PORT, as in RFC 959.
   * With `readInto`, a plain (not TLS) socket is made to read into those buffers, and starts paused.
   */
  async open(signal: AbortSignal, direction: DataDirection, readInto?: OnReadOpts): Promise<OpenedDataSocket> {
    const preparation = this.preparation;
    this.preparation = null;
    if (!preparation) throw new CommandError(ReplyCode.CannotOpenDataConnection, 'Use PORT, EPRT, PASV or EPSV first.');
    const abort = () => {
      if (preparation.mode === 'passive') preparation.listener.close();
    };
    signal.addEventListener('abort', abort, { once: true });
    const protection = this.options.protection.protectsData ? this.options.protection : null;
    // TLS reads through its own layer; only a plain socket can read into our buffers.
    const onread = protection ? undefined : readInto;
    try {
      let socket =
        preparation.mode === 'passive'
          ? await preparation.listener.accept()
          : await connectActive(preparation.target, {
              localAddress: this.options.localAddress,
              localPort: this.options.activeDataPort,
              connectTimeoutMs: this.options.activeConnectTimeoutMs,
              ...(onread ? { onread } : {}),
            });
      let readsInto = onread !== undefined && preparation.mode === 'active';
      if (onread && preparation.mode === 'passive') {
        const adopted = readAcceptedSocketInto(socket, onread);
        if (adopted) socket = adopted;
        readsInto = adopted !== null;
      }
      if (signal.aborted) {
        socket.destroy();
        throw new CommandError(ReplyCode.ConnectionClosedTransferAborted, 'Transfer aborted.');
      }
      if (protection) {
        this.openSocket = socket;
        socket = await protection.secureDataSocket(socket, signal, direction);
      }
      this.openSocket = socket;
      return { socket, readsInto };
    } finally {
      signal.removeEventListener('abort', abort);
      if (preparation.mode === 'passive') preparation.listener.close();
    }
  }

  /**
   * The prepared passive connection as a bare descriptor the caller then owns (and closes), when
   * the client's connection already waits on a native passive port and the data is not TLS; the
   * preparation is then consumed, as open() consumes it. Null otherwise, with nothing consumed.
   */
  takePendingDescriptor(): number | null {
    const preparation = this.preparation;
    if (preparation?.mode !== 'passive' || this.options.protection.protectsData) return null;
    const descriptor = preparation.listener.takePendingConnection();
    if (descriptor !== null) {
      this.preparation = null;
      descriptorsTaken++;
    }
    return descriptor;
  }

  /** A socket on a descriptor takePendingDescriptor gave, for a transfer that could not use it bare. */
  socketOn(descriptor: number): Socket {
    const socket = socketOnDescriptor(descriptor);
    this.openSocket = socket;
    return socket;
  }

  /** Forget the socket of a finished transfer (it is destroyed by the transfer). */
  releaseSocket(socket: Socket): void {
    if (this.openSocket === socket) this.openSocket = null;
    socket.destroy();
  }

  /** Release every port and socket; safe to call more than once. */
  close(): void {
    this.clearPreparation();
    this.openSocket?.destroy();
    this.openSocket = null;
  }

  private clearPreparation(): void {
    if (this.preparation?.mode === 'passive') this.preparation.listener.close();
    this.preparation = null;
  }
}
