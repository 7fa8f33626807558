/**
 * A one-shot passive data listener. It accepts exactly one connection, and only from the control
 * connection's peer: SECURITY (RFC 2577 §5, "port stealing"): a connection from any other IP is
 * closed and ignored, and the listener keeps waiting for the right client. An accept timeout
 * closes the listener so an unused PASV cannot hold a port.
 *
 * Its port is a listening net.Server, or a bare listening descriptor (native helper; see
 * passive-port-pool.ts) that nothing watches: the transfer takes the client's connection waiting in
 * its backlog, as a descriptor for a download (takePendingConnection) or made a socket (accept()),
 * and only when none waits yet does the port become a net.Server. Connections from strangers wait
 * in the backlog until the transfer, and are closed then, as vsftpd accepts only at the transfer.
 * The backlog's accept(2) also gives the peer's address of a connection reset since, which a
 * socket no longer can (getpeername fails): such a client gets its 426, not a wait for the timeout.
 */
import { closeSync } from 'node:fs';
import { Socket, type Server } from 'node:net';
import { isSameHost } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { nativePassiveSockets } from '../../native/native-addon.js';
import { CommandError } from '../errors.js';
import { createPassiveServer, type ReservedPort } from './passive-port-pool.js';

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
  /** The port as a Node server, once something watches it. */
  private server: Server | null = null;
  /** The port as a bare listening descriptor, while nothing watches it. */
  private listeningFd: number | null = null;
  private acceptedSocket: Socket | null = null;
  /** The client's connection taken from the descriptor's backlog and not yet used. */
  private acceptedFd: number | null = null;
  private failure: CommandError | null = null;
  private waiter: { resolve(socket: Socket): void; reject(error: Error): void } | null = null;
  private readonly acceptTimer: NodeJS.Timeout;
  private isClosed = false;
  /** The local port clients must connect to. */
  readonly port: number;

  constructor(
    reserved: ReservedPort,
    private readonly options: PassiveListenerOptions,
  ) {
    this.port = reserved.port;
    if (reserved.server) this.watch(reserved.server);
    else this.listeningFd = reserved.fd;
    this.acceptTimer = setTimeout(() => this.onAcceptTimeout(), options.acceptTimeoutMs);
    this.acceptTimer.unref();
  }

  /**
   * The client's connection as a descriptor the caller then owns, when it is already waiting on a
   * bare descriptor; the listener is then done. Null when the port is a server, or no connection
   * from the client waits yet (then use accept()).
   */
  takePendingConnection(): number | null {
    if (this.acceptedFd !== null) {
      const descriptor = this.acceptedFd;
      this.acceptedFd = null;
      return descriptor;
    }
    if (this.listeningFd === null || this.isClosed) return null;
    const descriptor = this.takeFromBacklog();
    if (descriptor === null) return null;
    this.isClosed = true;
    clearTimeout(this.acceptTimer);
    this.stopListening();
    return descriptor;
  }

  /** Resolve with the accepted data socket (immediately if the client already connected). */
  accept(): Promise<Socket> {
    if (this.acceptedSocket) {
      const socket = this.acceptedSocket;
      this.acceptedSocket = null;
      return Promise.resolve(socket);
    }
    if (this.acceptedFd !== null) {
      const socket = socketOnDescriptor(this.acceptedFd);
      this.acceptedFd = null;
      return Promise.resolve(socket);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.isClosed) return Promise.reject(new CommandError(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.'));
    const descriptor = this.takePendingConnection();
    if (descriptor !== null) return Promise.resolve(socketOnDescriptor(descriptor));
    if (this.listeningFd !== null) {
      // Nobody connected yet: Node watches the port from now on.
      const server = createPassiveServer();
      this.watch(server);
      server.listen({ fd: this.listeningFd });
      this.listeningFd = null;
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop listening and drop any accepted-but-unused connection. Idempotent. */
  close(): void {
    // Before the isClosed check: the one-shot accept marks the listener closed while still holding
    // the client's socket, which a new PASV or an ABOR must drop (it leaked until the session ended).
    this.acceptedSocket?.destroy();
    this.acceptedSocket = null;
    if (this.acceptedFd !== null) closeSync(this.acceptedFd);
    this.acceptedFd = null;
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.acceptTimer);
    this.closeWaitingConnections();
    this.stopListening();
    this.waiter?.reject(new CommandError(ReplyCode.CannotOpenDataConnection, 'Data connection setup was cancelled.'));
    this.waiter = null;
  }

  private watch(server: Server): void {
    this.server = server;
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', () => this.fail(new CommandError(ReplyCode.CannotOpenDataConnection, 'Passive listener failed.')));
  }

  private stopListening(): void {
    this.server?.close();
    if (this.listeningFd !== null) closeSync(this.listeningFd); // a socket's close(2) does not block
    this.listeningFd = null;
  }

  /**
   * Accept and close what still waits in the bare descriptor's backlog: closing the port alone
   * would reset those connections, and a client whose transfer was refused, aborted or replaced
   * gets an orderly EOF. Not needed once the client's connection was taken (strangers are left).
   */
  private closeWaitingConnections(): void {
    for (let descriptor = this.takeFromBacklog(); descriptor !== null; descriptor = this.takeFromBacklog()) closeSync(descriptor);
  }

  /** The client's connection from the bare descriptor's backlog, strangers' closed on the way; null when none waits. */
  private takeFromBacklog(): number | null {
    const sockets = nativePassiveSockets();
    if (sockets === null || this.listeningFd === null) return null;
    for (;;) {
      let pending: [number, string] | null;
      try {
        pending = sockets.acceptPending(this.listeningFd);
      } catch {
        return null; // EMFILE and the like: accept() then meets it through Node, or times out
      }
      if (pending === null) return null;
      const [descriptor, remoteAddress] = pending;
      if (this.isAllowed(remoteAddress)) return descriptor;
      closeSync(descriptor);
      this.options.onForeignConnection?.(remoteAddress);
    }
  }

  private isAllowed(remoteAddress: string): boolean {
    return this.options.allowsForeignDataPeer || isSameHost(remoteAddress, this.options.allowedPeerAddress);
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const remoteAddress = socket.remoteAddress ?? '';
    const isAllowed = this.isAllowed(remoteAddress);
    if (!isAllowed || this.isClosed || this.acceptedSocket) {
      // SECURITY: a stranger racing the client for the port gets nothing, and the client's
      // transfer still proceeds when it connects.
      if (!isAllowed) this.options.onForeignConnection?.(remoteAddress);
      socket.destroy();
      return;
    }
    clearTimeout(this.acceptTimer);
    // One-shot: stop listening so the port returns to the pool at once.
    this.stopListening();
    this.isClosed = true;
    if (this.waiter) {
      this.waiter.resolve(socket);
      this.waiter = null;
    } else {
      this.acceptedSocket = socket;
    }
  }

  private onAcceptTimeout(): void {
    // A client that connected in time but has not sent its transfer command yet keeps its
    // connection, as it would had Node been accepting all along.
    const descriptor = this.isClosed ? null : this.takeFromBacklog();
    if (descriptor === null) {
      this.fail(new CommandError(ReplyCode.CannotOpenDataConnection, 'No data connection was made in time.'));
      return;
    }
    this.acceptedFd = descriptor;
    this.isClosed = true;
    this.stopListening();
  }

  private fail(error: CommandError): void {
    if (this.isClosed) return;
    this.failure = error;
    this.isClosed = true;
    clearTimeout(this.acceptTimer);
    this.closeWaitingConnections();
    this.stopListening();
    this.waiter?.reject(error);
    this.waiter = null;
  }
}

/** A connection taken as a bare descriptor, made a socket as a passive server would have made it. */
export function socketOnDescriptor(descriptor: number): Socket {
  const socket = new Socket({ fd: descriptor, readable: true, writable: true, pauseOnCreate: true } as ConstructorParameters<typeof Socket>[0]);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  return socket;
}
