/**
 * Passive ports are reserved by binding them: the bind itself is the reservation, so two sessions
 * (or another program) can never get the same port and there is no probe-then-bind race.
 * With a configured range no port outside it is ever used; an exhausted range is a 425.
 *
 * Where the native helper offers it (Linux), a port is a bare listening descriptor that nothing
 * watches until the transfer: a download then takes its connection as a descriptor too and sends
 * into it with sendfile, with no net.Server or net.Socket made (native/passive_socket.c says why);
 * everything else gets a socket on the taken connection, or a net.Server on the port when the
 * client has not connected yet (passive-listener.ts).
 */
import cluster from 'node:cluster';
import { createServer, isIP, type Server } from 'node:net';
import { nativePassiveSockets, type NativePassiveSockets } from '../../native/native-addon.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';

/** An inclusive TCP port range. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** A port reserved for one passive connection: a listening server, or a listening descriptor nobody watches yet. */
export type ReservedPort =
  | { readonly server: Server; readonly fd?: undefined; readonly port: number }
  | { readonly fd: number; readonly server?: undefined; readonly port: number };

/** Connections a passive port queues before it is accepted from: one is expected. */
const backlog = 8;

/** Hands out listening ports of the configured range (or any ephemeral port). */
export class PassivePortPool {
  private cursor: number;

  constructor(private readonly range: PortRange | null) {
    // Start at a random offset so restarts and parallel sessions do not all probe from the bottom.
    this.cursor = range ? Math.floor(Math.random() * (range.max - range.min + 1)) : 0;
  }

  /** Listen on a free port of the range; throws CommandError(425) when none is free. */
  async reserve(bindHost: string): Promise<ReservedPort> {
    // An IPv6 zone ("fe80::1%eth0") is left to Node, which resolves the interface name; so is a
    // cluster worker's port: Node would ask the primary to listen on the worker's descriptor.
    const sockets = isIP(bindHost) !== 0 && !bindHost.includes('%') && !cluster.isWorker ? nativePassiveSockets() : null;
    const listen = (port: number): ReservedPort | Promise<ReservedPort> =>
      sockets ? listenDescriptor(sockets, bindHost, port) : listenOn(bindHost, port);
    if (!this.range) return listen(0);
    const size = this.range.max - this.range.min + 1;
    for (let attempt = 0; attempt < size; attempt++) {
      const port = this.range.min + ((this.cursor + attempt) % size);
      try {
        const reserved = await listen(port);
        this.cursor = (this.cursor + attempt + 1) % size;
        return reserved;
      } catch (error) {
        if (!isPortTakenError(error)) throw error;
      }
    }
    throw new CommandError(
      ReplyCode.CannotOpenDataConnection,
      `No passive port free in range ${this.range.min}-${this.range.max}; try again later.`,
    );
  }
}

function isPortTakenError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

function listenDescriptor(sockets: NativePassiveSockets, host: string, port: number): ReservedPort {
  const [fd, boundPort] = sockets.listenTcp(host, port, backlog);
  return { fd, port: boundPort };
}

/** A server for passive connections: their sockets start paused (an upload may read into its own buffers). */
export function createPassiveServer(): Server {
  return createServer({ pauseOnConnect: true, noDelay: true });
}

function listenOn(host: string, port: number): Promise<ReservedPort> {
  return new Promise((resolve, reject) => {
    const server = createPassiveServer();
    const onError = (error: Error) => {
      server.close();
      reject(error);
    };
    server.once('error', onError);
    // exclusive: a cluster worker must own its port.
    server.listen({ host, port, exclusive: true, backlog }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}
