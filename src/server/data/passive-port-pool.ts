/**
 * Passive ports are reserved by binding them: the bind itself is the reservation, so two sessions
 * (or another program) can never get the same port and there is no probe-then-bind race.
 * With a configured range no port outside it is ever used; an exhausted range is a 425.
 */
import { createServer, type Server } from 'node:net';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';

/** An inclusive TCP port range. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** Hands out listening servers on ports of the configured range (or any ephemeral port). */
export class PassivePortPool {
  private cursor: number;

  constructor(private readonly range: PortRange | null) {
    // Start at a random offset so restarts and parallel sessions do not all probe from the bottom.
    this.cursor = range ? Math.floor(Math.random() * (range.max - range.min + 1)) : 0;
  }

  /** Bind a listening server on a free port of the range; throws CommandError(425) when none is free. */
  async reserve(bindHost: string): Promise<Server> {
    if (!this.range) return listenOn(bindHost, 0);
    const size = this.range.max - this.range.min + 1;
    for (let attempt = 0; attempt < size; attempt++) {
      const port = this.range.min + ((this.cursor + attempt) % size);
      try {
        const server = await listenOn(bindHost, port);
        this.cursor = (this.cursor + attempt + 1) % size;
        return server;
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

function listenOn(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true, noDelay: true });
    const onError = (error: Error) => {
      server.close();
      reject(error);
    };
    server.once('error', onError);
    // exclusive: a cluster worker must own its port; backlog small: one connection is expected.
    server.listen({ host, port, exclusive: true, backlog: 8 }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
