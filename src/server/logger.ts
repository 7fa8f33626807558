/** The structured logger: JSON lines by default, readable lines on a terminal (pino + pino-pretty). */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { Writable } from 'node:stream';

/** Log settings from the config's `log` section. */
export interface LogSettings {
  readonly level: string;
  readonly format: 'auto' | 'json' | 'pretty';
}

/** Create the server's root logger. Passwords are redacted wherever they appear in log objects. */
export function createLogger(settings: LogSettings, destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = {
    level: settings.level,
    base: { name: 'ferry' },
    redact: { paths: ['password', '*.password', 'passwordHash', '*.passwordHash'], censor: '****' },
  };
  const sink = new FailSafeSink(destination);
  const isPretty = settings.format === 'pretty' || (settings.format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  if (isPretty) {
    // Synchronous pretty stream instead of a worker transport: one process, ordered output.
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', destination: sink as never }));
  }
  return pino(options, sink as never);
}

/**
 * Writes log lines to a stream until the stream fails, then drops them. A server whose stdout is a
 * pipe that was closed (`ferry serve | head`) gets EPIPE on every write; unhandled, each error became
 * an uncaught exception whose own log line failed again, a loop that spun a core forever. Losing the
 * log is the lesser harm: the server keeps serving its sessions. A Writable (not a bare object with
 * write()) because pino-pretty pipes into its destination.
 */
class FailSafeSink extends Writable {
  private failed = false;

  constructor(private readonly destination: NodeJS.WritableStream) {
    super({ decodeStrings: false });
    destination.on('error', () => {
      this.failed = true;
    });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.failed) {
      try {
        this.destination.write(chunk);
      } catch {
        // A synchronous destination (a file descriptor write) throws instead of emitting 'error'.
        this.failed = true;
      }
    }
    callback();
  }
}
