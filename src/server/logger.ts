/** The structured logger: JSON lines by default, readable lines on a terminal (pino + pino-pretty). */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { Writable } from 'node:stream';

/** Log settings from the config's `log` section. */
export interface LogSettings {
  readonly level: string;
  readonly format: 'auto' | 'json' | 'pretty';
}

/** Keys whose values never reach the log, in a log object or in any object one level down. */
const secretKeys = ['password', 'passwordHash'] as const;
const censored = '****';

/** Create the server's root logger. Passwords are censored wherever they appear in log objects (withoutSecrets). */
export function createLogger(settings: LogSettings, destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = {
    level: settings.level,
    base: { name: 'ferry' },
    // Top-level keys by pino's redact (keyed: it runs only for a line that has the key, and it
    // covers child bindings); one level down by withoutSecrets, which replaces the "*.password"
    // paths: with a wildcard, redact ran for every line.
    redact: { paths: [...secretKeys], censor: censored },
    formatters: { log: withoutSecrets },
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
 * A log object with the values of secretKeys censored, at its top level and one level down (what
 * pino's redact paths "password" and "*.password" cover); the object itself when it has none, and
 * a copy otherwise (the caller's object is left alone). In place of redact's wildcard paths, which
 * copied the object and re-parsed the paths for every line whatever it held: ~10 KB of garbage per
 * line, a quarter of what a connect-login-quit allocated in the server.
 */
export function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if ((secretKeys as readonly string[]).includes(key)) {
      (copy ??= { ...object })[key] = censored;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && secretKeys.some((secret) => secret in value)) {
      const inner: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const secret of secretKeys) if (secret in inner) inner[secret] = censored;
      (copy ??= { ...object })[key] = inner;
    }
  }
  return copy ?? object;
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
