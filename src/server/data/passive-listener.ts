/**
 * A one-shot passive data listener. It accepts exactly one connection, and only from the control
 * connection's peer: SECURITY (RFC 2577 §5, "port stealing"): a connection from any other IP is
 * closed and ignored, and the listener keeps waiting for the right client. An accept timeout
 * closes the listener so an unused PASV cannot hold a port.
 */
import type { Server, Socket } from 'node:net';
import { isSameHost } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';

/** Options for one passive listener. */
export interface PassiveListenerOptions {
  /** Only connections from this address are accepted. */
  readonly allowedPeerAddress: string;
  /** SECURITY: accept any peer (FXP). Off by default. */
  readonly allowsForeignDataPeer: boolean;
  readonly acceptTimeoutMs: number;
  /** Called for each refused foreign connection (for the log). */
  readonly onForeignConnection?: (remoteAddress: string) => void;
}

/** Waits for the client's data connection on a reserved port. */
export class PassiveListener {
  private acceptedSocket: Socket | null = null;
  private failure: CommandError | null = null;
  private waiter: { resolve(socket: Socket): void; reject(error: Error): void } | null = null;
  private readonly acceptTimer: NodeJS.Timeout;
  private isClosed = false;

  constructor(
    private readonly server: Server,
    private readonly options: PassiveListenerOptions,
  ) {
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', () => this.fail(new CommandError(ReplyCode.CannotOpenDataConnection, 'Passive listener failed.')));
    this.acceptTimer = setTimeout(
      () => this.fail(new CommandError(ReplyCode.CannotOpenDataConnection, 'No data connection was made in time.')),
      options.acceptTimeoutMs,
    );
    this.acceptTimer.unref();
  }

  /** The local port clients must connect to. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Resolve with the accepted data socket (immediately if the client already connected). */
  accept(): Promise<Socket> {
    if (this.acceptedSocket) {
      const socket = this.acceptedSocket;
      this.acceptedSocket = null;
      return Promise.resolve(socket);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.isClosed) return Promise.reject(new CommandError(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop listening and drop any accepted-but-unused socket. Idempotent. */
  close(): void {
    // Before the isClosed check: the one-shot accept marks the listener closed while still holding
    // the client's socket, which a new PASV or an ABOR must drop (it leaked until the session ended).
    this.acceptedSocket?.destroy();
    this.acceptedSocket = null;
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.acceptTimer);
    this.server.close();
    this.waiter?.reject(new CommandError(ReplyCode.CannotOpenDataConnection, 'Data connection setup was cancelled.'));
    this.waiter = null;
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const remoteAddress = socket.remoteAddress ?? '';
    const isAllowed = this.options.allowsForeignDataPeer || isSameHost(remoteAddress, this.options.allowedPeerAddress);
    if (!isAllowed || this.isClosed || this.acceptedSocket) {
      // SECURITY: a stranger racing the client for the port gets nothing, and the client's
      // transfer still proceeds when it connects.
      if (!isAllowed) this.options.onForeignConnection?.(remoteAddress);
      socket.destroy();
      return;
    }
    clearTimeout(this.acceptTimer);
    // One-shot: stop listening so the port returns to the pool at once.
    this.server.close();
    this.isClosed = true;
    if (this.waiter) {
      this.waiter.resolve(socket);
      this.waiter = null;
    } else {
      this.acceptedSocket = socket;
    }
  }

  private fail(error: CommandError): void {
    if (this.isClosed) return;
    this.failure = error;
    this.isClosed = true;
    clearTimeout(this.acceptTimer);
    this.server.close();
    this.waiter?.reject(error);
    this.waiter = null;
  }
}
