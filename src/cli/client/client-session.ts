/** From command-line options and a URL to a connected FtpClient: credentials, data mode, FTPS, retries. */
import { readFile } from 'node:fs/promises';
import { FtpClient, type FtpClientOptions } from '../../client/ftp-client.js';
import type { FtpSecurity } from '../../client/tls-settings.js';
import { isTransient } from '../../client/mirror.js';
import { retryDelayMs, waitBeforeRetry } from '../../client/retry-backoff.js';
import type { FtpUrl } from './ftp-url.js';
import { lookupNetrc } from './netrc.js';
import { promptPassword } from './password-prompt.js';

/** Options every client command accepts (see register-client-commands.ts). */
export interface ClientCommandOptions {
  readonly user?: string;
  readonly active?: boolean;
  readonly passive?: boolean;
  /** commander's `--no-epsv` sets this to false. */
  readonly epsv?: boolean;
  readonly retries?: number;
  readonly quiet?: boolean;
  readonly netrc?: string;
  /** `--tls` / `--ftps`: explicit FTPS on an ftp:// URL. */
  readonly tls?: boolean;
  readonly ftps?: boolean;
  /** `--ca FILE`: PEM CA certificate(s) to trust for FTPS. */
  readonly ca?: string;
  /** `--insecure`: do not verify the server certificate. */
  readonly insecure?: boolean;
}

/** A command-line usage problem found after parsing (exit code 1 with this message). */
export class ClientUsageError extends Error {
  override readonly name = 'ClientUsageError';
  readonly code = 'ERR_FERRY_USAGE';
}

/** Who to log in as. */
export interface Credentials {
  readonly user: string | undefined;
  readonly password: string | undefined;
}

/**
 * Credentials in order of precedence: the URL, `--user user[:password]`, ~/.netrc, then a password
 * prompt when a user is known but no password; no user at all means anonymous login.
 */
export async function resolveCredentials(url: FtpUrl, options: ClientCommandOptions): Promise<Credentials> {
  let user = url.user;
  let password = url.password;
  if (user === undefined && options.user !== undefined) {
    const colon = options.user.indexOf(':');
    user = colon === -1 ? options.user : options.user.slice(0, colon);
    password = colon === -1 ? undefined : options.user.slice(colon + 1);
  }
  if (password === undefined) {
    const entry = await lookupNetrc(url.host, options.netrc);
    if (entry && (user === undefined || entry.login === user)) {
      user ??= entry.login;
      password = entry.password;
    }
  }
  if (user !== undefined && user !== 'anonymous' && user !== 'ftp' && password === undefined) {
    password = await promptPassword(`Password for ${user}@${url.host}: `);
  }
  return { user, password };
}

/** FTPS mode from the URL and flags: ftps:// is implicit, `--tls`/`--ftps` explicit, else none. */
export function securityFrom(url: Pick<FtpUrl, 'isImplicitTls'>, options: ClientCommandOptions): FtpSecurity {
  if (url.isImplicitTls) return 'implicit';
  if (options.tls || options.ftps) return 'explicit';
  // Verification flags without TLS are a mistake worth saying: the user believes FTPS is on.
  if (options.ca !== undefined || options.insecure) {
    throw new ClientUsageError('--ca and --insecure apply to FTPS only: add --tls, or use an ftps:// URL');
  }
  return false;
}

/**
 * Library options from the command-line flags: passive by default, `--active`, `--no-epsv`; FTPS
 * from the URL and `--tls`, trusting `caPem` (the `--ca` file's contents) or, with `--insecure`, anything.
 */
export function clientOptionsFrom(options: ClientCommandOptions, url?: Pick<FtpUrl, 'isImplicitTls'>, caPem?: string): FtpClientOptions {
  const secure = url ? securityFrom(url, options) : false;
  return {
    dataMode: options.active && !options.passive ? 'active' : 'passive',
    usesEpsv: options.epsv !== false,
    ...(secure
      ? {
          secure,
          tls: {
            ...(caPem !== undefined ? { ca: caPem } : {}),
            ...(options.insecure ? { rejectUnauthorized: false } : {}),
          },
        }
      : {}),
  };
}

/** Read the `--ca` file, naming it in the error when it cannot be read. */
async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ClientUsageError(`cannot read --ca file ${path}: ${(error as Error).message}`);
  }
}

/** A function that opens a new connected client each time it is called (mirror workers, retries). */
export function clientFactory(url: FtpUrl, credentials: Credentials, options: ClientCommandOptions): () => Promise<FtpClient> {
  let caPem: Promise<string> | undefined;
  let hasWarned = false;
  return async () => {
    const secure = securityFrom(url, options);
    if (secure && options.ca !== undefined) caPem ??= readCaFile(options.ca);
    if (secure && options.insecure && !options.quiet && !hasWarned) {
      hasWarned = true;
      process.stderr.write('ferry: warning: --insecure: the server certificate is not verified\n');
    }
    const client = new FtpClient(clientOptionsFrom(options, url, caPem ? await caPem : undefined));
    await client.connect({ host: url.host, port: url.port, user: credentials.user, password: credentials.password });
    return client;
  };
}

/**
 * Run `task` with a fresh client, retrying up to `retries` times after transient failures (4xx,
 * timeouts, lost connections), after a growing pause (retry-backoff.ts) that `onRetry` is told
 * of. `attempt` lets the task resume instead of starting over.
 */
export async function withClient<T>(
  connect: () => Promise<FtpClient>,
  retries: number,
  task: (client: FtpClient, attempt: number) => Promise<T>,
  onRetry: (error: Error, attempt: number, delayMs: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let client: FtpClient | null = null;
    let delayMs: number;
    try {
      client = await connect();
      return await task(client, attempt);
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      if (attempt >= retries || !isTransient(reason)) throw reason;
      delayMs = retryDelayMs(attempt + 1);
      onRetry(reason, attempt + 1, delayMs);
    } finally {
      await client?.close();
    }
    await waitBeforeRetry(delayMs);
  }
}

/** The line shown before a retry, e.g. "retry 1 in 1 s after: control connection closed by the server". */
export function describeRetry(attempt: number, delayMs: number, error: Error, what?: string): string {
  return `retry ${attempt}${what ? ` of ${what}` : ''} in ${delayMs / 1000} s after: ${error.message}`;
}
