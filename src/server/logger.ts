/** The structured logger: JSON lines by default, readable lines on a terminal (pino + pino-pretty). */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

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
  const isPretty = settings.format === 'pretty' || (settings.format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  if (isPretty) {
    // Synchronous pretty stream instead of a worker transport: one process, ordered output.
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', destination: destination as never }));
  }
  return pino(options, destination as never);
}
