/**
 * FTPS certificates: the PEM files named in `config.tls`, turned into one TLS secure context per
 * control connection, and reloaded when the files change (or on demand, e.g. SIGHUP) so a renewed
 * certificate reaches new sessions without a restart. Sessions already open keep their context.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The certificate settings the store needs (a subset of `config.tls`). */
export interface TlsCertificateSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | null;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** A certificate, key or CA file that cannot be used; the message is meant for the operator. */
export class TlsCertificateError extends Error {
  override readonly name = 'TlsCertificateError';
  readonly code = 'ERR_FTP_TLS_CERTIFICATE';
}

interface PemFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | null;
}

/**
 * Lifetime of the session tickets issued on a control connection. The data connections resume the
 * control connection's session for as long as it is open, so OpenSSL's 300 s default would refuse
 * every transfer after five minutes (vsftpd sets the SSL_CTX timeout to INT_MAX for the same
 * reason). 7 days is the most TLS 1.3 allows (RFC 8446 §4.6.1); the ticket keys die with the
 * session's context anyway.
 */
const sessionTicketLifetimeSeconds = 7 * 24 * 3600;
/** Several writes (cert, then key) usually belong to one renewal; reload once they settle. */
const reloadSettleMs = 200;

/** Events: `reload` after new files were loaded, `reloadError` when they were refused (old ones stay). */
export interface TlsCertificateStoreEvents {
  reload: [];
  reloadError: [TlsCertificateError];
}

/** The current certificate, key and CA; builds a fresh secure context for each control connection. */
export class TlsCertificateStore extends EventEmitter<TlsCertificateStoreEvents> {
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly settings: TlsCertificateSettings,
    private pem: PemFiles,
  ) {
    super();
  }

  /** Read and check the files; throws TlsCertificateError naming the file and the problem. */
  static async load(settings: TlsCertificateSettings): Promise<TlsCertificateStore> {
    return new TlsCertificateStore(settings, await readPemFiles(settings));
  }

  /**
   * A new secure context for one control connection and its data connections. Its own ticket keys
   * and session-ID context mean a data connection can only resume a TLS session issued on this
   * control connection, not one from another client's session (RFC 4217 §10, data connection
   * theft; vsftpd gets the same from one process per session). SessionResumption replaces the
   * ticket keys with its own callback where Node allows; `ticketKeys` is the fallback.
   */
  createSessionContext(): SecureContext {
    return createSecureContext({
      cert: this.pem.cert,
      key: this.pem.key,
      ...(this.pem.ca ? { ca: this.pem.ca } : {}),
      minVersion: this.settings.minVersion,
      ticketKeys: randomBytes(48),
      sessionIdContext: randomBytes(16).toString('hex'),
      sessionTimeout: sessionTicketLifetimeSeconds,
    });
  }

  /** Re-read the files; on failure the current certificate stays and the error is thrown. */
  async reload(): Promise<void> {
    try {
      this.pem = await readPemFiles(this.settings);
    } catch (error) {
      const failure = error instanceof TlsCertificateError ? error : new TlsCertificateError(String(error));
      this.emit('reloadError', failure);
      throw failure;
    }
    this.emit('reload');
  }

  /**
   * Reload whenever the certificate, key or CA file changes. The directories are watched, not the
   * files, so renewals that replace a file by rename (certbot's symlink swap) are seen too.
   */
  watchFiles(): void {
    if (this.watchers.length > 0) return;
    const files = [this.settings.certFile, this.settings.keyFile, this.settings.caFile].filter((file): file is string => file !== null);
    const directories = new Map<string, Set<string>>();
    for (const file of files) {
      const names = directories.get(path.dirname(file)) ?? new Set<string>();
      names.add(path.basename(file));
      directories.set(path.dirname(file), names);
    }
    for (const [directory, names] of directories) {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name.toString())) this.scheduleReload();
      });
      watcher.on('error', () => watcher.close());
      this.watchers.push(watcher);
    }
  }

  /** Stop watching the files. */
  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = null;
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      // A failed reload is reported by the 'reloadError' event; the old certificate stays.
      this.reload().catch(() => undefined);
    }, reloadSettleMs);
    this.reloadTimer.unref();
  }
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new TlsCertificateError(`cannot read the TLS ${what} ${file} (${errno})`);
  }
}

/** Read the three files and prove they form a usable context (key matches certificate). */
async function readPemFiles(settings: TlsCertificateSettings): Promise<PemFiles> {
  // Read together, but a failure is reported in a fixed order (certificate, key, CA): with
  // Promise.all the message named whichever read failed first, so the same broken settings gave
  // one error or the other from run to run (a test saw both).
  const reads = await Promise.allSettled([
    readPem(settings.certFile, 'certificate'),
    readPem(settings.keyFile, 'private key'),
    settings.caFile === null ? Promise.resolve(null) : readPem(settings.caFile, 'CA file'),
  ]);
  const failed = reads.find((read) => read.status === 'rejected');
  if (failed) throw failed.reason;
  const [cert, key, ca] = reads.map((read) => (read as PromiseFulfilledResult<Buffer | null>).value) as [Buffer, Buffer, Buffer | null];
  try {
    createSecureContext({ cert, key, ...(ca ? { ca } : {}), minVersion: settings.minVersion });
  } catch (error) {
    throw new TlsCertificateError(
      `unusable TLS certificate/key (${settings.certFile}, ${settings.keyFile}): ${(error as Error).message}`,
    );
  }
  return { cert, key, ca };
}
