/** From command-line options and a URL to a connected FtpClient: credentials, data mode, retries. */
import { FtpClient, type FtpClientOptions } from '../../client/ftp-client.js';
import { isTransient } from '../../client/mirror.js';
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

/** Library options from the command-line flags: passive by default, `--active`, `--no-epsv`. */
export function clientOptionsFrom(options: ClientCommandOptions): FtpClientOptions {
  return {
    dataMode: options.active && !options.passive ? 'active' : 'passive',
    usesEpsv: options.epsv !== false,
  };
}

/** A function that opens a new connected client each time it is called (mirror workers, retries). */
export function clientFactory(url: FtpUrl, credentials: Credentials, options: ClientCommandOptions): () => Promise<FtpClient> {
  return async () => {
    const client = new FtpClient(clientOptionsFrom(options));
    await client.connect({ host: url.host, port: url.port, user: credentials.user, password: credentials.password });
    return client;
  };
}

/**
 * Run `task` with a fresh client, retrying up to `retries` times after transient failures (4xx,
 * timeouts, lost connections). `attempt` lets the task resume instead of starting over.
 */
export async function withClient<T>(
  connect: () => Promise<FtpClient>,
  retries: number,
  task: (client: FtpClient, attempt: number) => Promise<T>,
  onRetry: (error: Error, attempt: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let client: FtpClient | null = null;
    try {
      client = await connect();
      return await task(client, attempt);
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      if (attempt >= retries || !isTransient(reason)) throw reason;
      onRetry(reason, attempt + 1);
    } finally {
      await client?.close();
    }
  }
}
