/**
 * FtpClient: the library API. One control connection, one request at a time (a second concurrent
 * call fails with FtpBusyError instead of interleaving replies); data connections in passive
 * (EPSV → PASV) or active (EPRT → PORT) mode; listings, transfers with resume, progress and abort.
 * FTPS (RFC 4217), explicit or implicit, protects the control connection and every data
 * connection (PBSZ 0, PROT P), with the server's certificate verified unless turned off.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, unlink, utimes } from 'node:fs/promises';
import type { Readable, Transform, Writable } from 'node:stream';
import { createLocalToNetworkAscii, createNetworkToLocalAscii } from '../protocol/ascii-transform.js';
import { defaultReplyParserLimits, replyText, type FtpReply } from '../protocol/reply.js';
import { ReplyCode } from '../protocol/reply-code.js';
import { parseQuotedPath } from '../protocol/virtual-path.js';
import type { FileEntry } from '../protocol/listing/file-entry.js';
import { parseListing } from '../protocol/listing/parse-listing.js';
import { formatFtpTimestamp, parseFtpTimestamp, parseMlsxLine } from '../protocol/listing/mlsx.js';
import { ControlConnection } from './control-connection.js';
import { openDataChannel, type DataConnectionOptions, type DataMode, type DataModeMemory } from './data-connection.js';
import { isLocalFileMover, runTransfer, type LocalFileMover, type TransferProgress } from './transfer.js';
import { BoundedSink } from './bounded-sink.js';
import { FileDownloadReceiver } from './file-download-receiver.js';
import { FileUploadSender } from './file-upload-sender.js';
import { LocalFile } from './local-file.js';
import { assertSafeName } from './safe-name.js';
import { joinRemotePath } from './remote-path.js';
import { FtpBusyError, FtpConnectionClosedError, FtpDirectoryAliasError, FtpProtocolError, FtpReplyError, FtpTlsError } from './errors.js';
import { VisitedDirectories } from './visited-directories.js';
import { resolveTlsSettings, type FtpSecurity, type FtpTlsOptions } from './tls-settings.js';
import type { FileIoMode } from '../file-io/inline-file-io.js';

/** Settings fixed for the lifetime of a client. Every limit has a secure default. */
export interface FtpClientOptions {
  /**
   * FTPS (RFC 4217): `false` (default) plain FTP; `'explicit'` AUTH TLS on the usual port;
   * `'implicit'` TLS from the first byte (default port 990). Data connections are always
   * protected too (PROT P); a server that refuses any step fails with FtpTlsError, never clear text.
   */
  readonly secure?: FtpSecurity;
  /** TLS settings for `secure`; by default the certificate is verified against Node's CA bundle. */
  readonly tls?: FtpTlsOptions;
  /** 'passive' (default): the client connects to the server; 'active': the server connects back. */
  readonly dataMode?: DataMode;
  /** Try EPSV before PASV (default true; `false` is lftp's `ftp:prefer-epsv no`). */
  readonly usesEpsv?: boolean;
  /** Try EPRT before PORT in active mode (default true). */
  readonly usesEprt?: boolean;
  /** SECURITY: follow a 227 address that differs from the control peer (default false, see data-connection.ts). */
  readonly allowsForeignPassiveAddress?: boolean;
  /** Active mode: local address to listen on (default: the control connection's local address). */
  readonly activeListenAddress?: string;
  /** Active mode: address to advertise in EPRT/PORT, e.g. a NAT's public address. */
  readonly activeAdvertisedAddress?: string;
  /** Active mode: inclusive local port range to listen in (default: any free port). */
  readonly activePortRange?: readonly [number, number];
  /** TCP connect plus greeting (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** Longest wait for one control reply (default 30 s); on expiry the connection is closed. */
  readonly replyTimeoutMs?: number;
  /** A data connection idle this long, or not established within it, fails the transfer (default 30 s). */
  readonly dataTimeoutMs?: number;
  /** SECURITY: longest reply line accepted (default 8192 bytes). */
  readonly maxReplyLineBytes?: number;
  /** SECURITY: most lines in one multi-line reply (default 2000). */
  readonly maxReplyLines?: number;
  /** SECURITY: largest directory listing accepted (default 64 MiB). */
  readonly maxListingBytes?: number;
  /**
   * Local file calls: 'auto' (default) makes them on the event loop while the directory is on a
   * known local file system and they stay fast (see local-file.ts), 'thread-pool' never does.
   */
  readonly fileIo?: FileIoMode;
}

/** Where to connect and as whom. Without `user`, logs in anonymously (RFC 1635). */
export interface FtpConnectOptions {
  readonly host: string;
  /** Default 21, or 990 for implicit FTPS. */
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
}

/** TYPE I (default) or TYPE A with newline conversion (RFC 959 §3.1.1). */
export type TransferType = 'binary' | 'ascii';

/** Options shared by downloads and uploads. */
export interface TransferOptions {
  readonly type?: TransferType;
  /** Aborting sends ABOR and rejects with FtpAbortError; the client stays usable. */
  readonly signal?: AbortSignal;
  /** Called at most every 100 ms, and once when the data side finished. */
  readonly onProgress?: (progress: TransferProgress) => void;
}

/** Download options. */
export interface DownloadOptions extends TransferOptions {
  /** Start at this byte offset (REST, RFC 3659 §5). */
  readonly startAt?: number;
  /** Local file destinations only: continue from the local file's size. */
  readonly resume?: boolean;
  /**
   * The remote file's size when the caller already knows it (from a listing): used for progress
   * and resume instead of asking with SIZE, one round trip less per file.
   */
  readonly knownSize?: number;
  /** Local file destinations only: give the file this modification time once written (mirror: the remote file's). */
  readonly modifiedAt?: Date;
  /** SECURITY: local file destinations only: fail (ELOOP) rather than write through a symbolic link there (mirror). */
  readonly refusesSymlink?: boolean;
}

/** Upload options. */
export interface UploadOptions extends TransferOptions {
  /** Local file sources only: APPE the part missing on the server (its SIZE onwards). */
  readonly resume?: boolean;
  /** Append to the remote file (APPE) instead of replacing it (STOR). */
  readonly append?: boolean;
}

/** What a finished transfer moved. */
export interface TransferResult {
  /** Bytes moved on the data connection (0 when a resume found nothing left to do). */
  readonly transferredBytes: number;
  /** The offset the transfer started at. */
  readonly startOffset: number;
  /** The final reply (226/250), or null when nothing had to be transferred. */
  readonly reply: FtpReply | null;
}

/** SECURITY: default cap on one listing; a hostile server could send one without end. */
const defaultMaxListingBytes = 64 * 1024 * 1024;

/**
 * Buffering of local files in ASCII transfers (binary ones take a FileDownloadReceiver or a
 * FileUploadSender). A download's chunks (64 KiB plain, 16 KiB TLS) queue while one write is
 * in flight and go down in one writev; with fs streams' default 16 KiB every chunk waited for its
 * own thread-pool write with the socket paused.
 */
const localFileChunkBytes = 1024 * 1024;

/** An FTP client: see the module comment. */
export class FtpClient {
  private control: ControlConnection | null = null;
  private isBusy = false;
  private currentType: 'I' | 'A' | null = null;
  private featureMap = new Map<string, string>();
  private readonly dataModeMemory: DataModeMemory = { isEpsvRefused: false, isEprtRefused: false };
  /** True once PROT P was accepted: every data connection must then be TLS. */
  private isDataProtected = false;
  private readonly options: Required<Omit<FtpClientOptions, 'activeListenAddress' | 'activeAdvertisedAddress' | 'activePortRange' | 'tls'>> &
    FtpClientOptions;

  constructor(options: FtpClientOptions = {}) {
    this.options = {
      secure: false,
      dataMode: 'passive',
      usesEpsv: true,
      usesEprt: true,
      allowsForeignPassiveAddress: false,
      connectTimeoutMs: 15_000,
      replyTimeoutMs: 30_000,
      dataTimeoutMs: 30_000,
      maxReplyLineBytes: defaultReplyParserLimits.maxLineBytes,
      maxReplyLines: defaultReplyParserLimits.maxReplyLines,
      maxListingBytes: defaultMaxListingBytes,
      fileIo: 'auto',
      ...options,
    };
  }

  /**
   * Connect, read the greeting, log in, read FEAT and switch to TYPE I. With `secure`: TLS first
   * (implicit) or AUTH TLS right after the greeting (explicit), then after login PBSZ 0 and
   * PROT P, the order curl uses (RFC 4217 §9 only needs them after AUTH; some servers want a login).
   */
  async connect(target: FtpConnectOptions): Promise<FtpReply> {
    return this.exclusive('connect', async () => {
      if (this.control && !this.control.isClosed) throw new FtpBusyError('already connected; close() first');
      const secure = this.options.secure;
      const { connection, greeting } = await ControlConnection.open({
        host: target.host,
        port: target.port ?? (secure === 'implicit' ? 990 : 21),
        connectTimeoutMs: this.options.connectTimeoutMs,
        replyTimeoutMs: this.options.replyTimeoutMs,
        maxReplyLineBytes: this.options.maxReplyLineBytes,
        maxReplyLines: this.options.maxReplyLines,
        tls: secure ? resolveTlsSettings(target.host, this.options.tls) : null,
        isImplicitTls: secure === 'implicit',
      });
      this.control = connection;
      this.currentType = null;
      this.featureMap = new Map();
      this.isDataProtected = false;
      try {
        if (secure === 'explicit') await connection.upgradeToTls();
        await this.loginUnlocked(target.user, target.password);
        if (secure) await this.protectDataUnlocked();
        await this.loadFeatures();
        // RFC 2640 §3.1: ask for UTF-8 path names where the server offers the choice.
        if (this.featureMap.has('UTF8')) await connection.request('OPTS', 'UTF8 ON').catch(ignoreReplyError);
        await this.ensureType('binary');
      } catch (error) {
        connection.close();
        throw error;
      }
      return greeting;
    });
  }

  /** Log in again as another user on the open connection (USER/PASS, RFC 959 §4.1.1). */
  async login(user?: string, password?: string): Promise<void> {
    return this.exclusive('login', () => this.loginUnlocked(user, password));
  }

  /** The FEAT lines (RFC 2389) by upper-cased feature name, e.g. "MLST" → "type*;size*;modify*;". */
  get features(): ReadonlyMap<string, string> {
    return this.featureMap;
  }

  /** The control connection's TLS version ("TLSv1.2", "TLSv1.3"), or null without FTPS. */
  get tlsProtocol(): string | null {
    return this.control && !this.control.isClosed ? this.control.tlsProtocol : null;
  }

  /** True while the control connection is open. */
  get isConnected(): boolean {
    return this.control !== null && !this.control.isClosed;
  }

  /**
   * Send QUIT (unless a request is running), then close the connection. A running request rejects
   * with FtpConnectionClosedError whose `isClosedByCaller` is true. Idempotent; never throws.
   */
  async close(): Promise<void> {
    const control = this.control;
    if (!control || control.isClosed) return;
    try {
      if (!this.isBusy) {
        control.send('QUIT');
        await Promise.race([control.readReply(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
    } catch {
      // Closing anyway; a server that already hung up is not an error here.
    } finally {
      control.close(new FtpConnectionClosedError('connection closed by the caller (close())', { isClosedByCaller: true }));
    }
  }

  /** The working directory (PWD, 257 reply, RFC 959 Appendix II quoting). */
  async pwd(): Promise<string> {
    return this.exclusive('pwd', () => this.pwdUnlocked());
  }

  /** Change the working directory (CWD). */
  async cd(path: string): Promise<void> {
    await this.exclusive('cd', () => this.connected().request('CWD', path));
  }

  /** Directory entries of `path` (default: the working directory): MLSD when offered, else LIST. */
  async list(path?: string, options: { signal?: AbortSignal } = {}): Promise<FileEntry[]> {
    return this.exclusive('list', () => this.listUnlocked(path, options.signal));
  }

  /** Size in bytes (SIZE, RFC 3659 §4). Sent in TYPE I, where the answer is exact. */
  async size(path: string): Promise<number> {
    return this.exclusive('size', () => this.sizeUnlocked(path));
  }

  /** Modification time (MDTM, RFC 3659 §3; UTC). */
  async lastModified(path: string): Promise<Date> {
    return this.exclusive('lastModified', async () => {
      const reply = await this.connected().request('MDTM', path);
      const date = parseFtpTimestamp(replyText(reply).trim());
      if (!date) throw new FtpProtocolError(`unreadable MDTM reply: ${replyText(reply).slice(0, 80)}`);
      return date;
    });
  }

  /** Set the modification time (MFMT, draft-somers-ftp-mfxx); needs the server's FEAT to list MFMT. */
  async setLastModified(path: string, date: Date): Promise<void> {
    await this.exclusive('setLastModified', () => this.connected().request('MFMT', `${formatFtpTimestamp(date)} ${path}`));
  }

  /** Create a directory (MKD); with `recursive`, every missing parent too, succeeding if it exists. */
  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.exclusive('mkdir', async () => {
      if (!options.recursive) {
        await this.connected().request('MKD', path);
        return;
      }
      await this.mkdirRecursiveUnlocked(path);
    });
  }

  /** Delete a file (DELE). */
  async remove(path: string): Promise<void> {
    await this.exclusive('remove', () => this.connected().request('DELE', path));
  }

  /**
   * Remove a directory (RMD). With `recursive`, like `rm -r`: `path` and every directory below it
   * is first tried with DELE, which removes a file or a symbolic link (also one the server lists
   * as a directory) and is refused for a real directory; only then are its contents removed and
   * it RMD'd. A directory seen twice in the walk (RFC 3659 `unique`) is not descended into
   * (FtpDirectoryAliasError). Names from listings must be single path segments (see
   * safe-name.ts), so a hostile listing cannot steer deletion elsewhere.
   */
  async removeDirectory(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.exclusive('removeDirectory', async () => {
      if (!options.recursive) {
        await this.connected().request('RMD', path);
        return;
      }
      const root = await this.statUnlocked(path).catch(ignoreReplyError);
      await this.removeTreeUnlocked(path, root?.uniqueId, new VisitedDirectories());
    });
  }

  /**
   * The entry for `path` from MLST (RFC 3659 §7): type, size, time and `uniqueId` as the server
   * gives them; its name is the path the server echoes. Null when the server does not offer MLST.
   */
  async stat(path: string): Promise<FileEntry | null> {
    return this.exclusive('stat', () => this.statUnlocked(path));
  }

  /** Rename or move (RNFR then RNTO, RFC 959 §4.1.3). */
  async rename(from: string, to: string): Promise<void> {
    await this.exclusive('rename', async () => {
      const control = this.connected();
      const reply = await control.request('RNFR', from);
      if (reply.replyCode !== ReplyCode.FileActionPendingInfo) {
        throw new FtpProtocolError(`RNFR answered ${reply.replyCode}, expected 350`);
      }
      await control.request('RNTO', to);
    });
  }

  /** Send a SITE command (e.g. "CHMOD 644 a.txt") and return the reply. */
  async site(command: string): Promise<FtpReply> {
    return this.exclusive('site', () => this.connected().request('SITE', command));
  }

  /** Send any command that needs no data connection; 4xx/5xx reject with FtpReplyError. */
  async request(verb: string, argument?: string): Promise<FtpReply> {
    return this.exclusive('request', () => this.connected().request(verb, argument));
  }

  /**
   * Download `remotePath` to a Writable (ended when done) or to a local file path. Resolves only
   * when the data ended and the final reply arrived.
   */
  async download(remotePath: string, destination: Writable | string, options: DownloadOptions = {}): Promise<TransferResult> {
    return this.exclusive('download', async () => {
      const type = options.type ?? 'binary';
      await this.ensureType(type);
      const totalBytes =
        options.knownSize ?? (type === 'binary' && this.featureMap.has('SIZE') ? await this.sizeUnlocked(remotePath).catch(() => undefined) : undefined);
      let startOffset = options.startAt ?? 0;
      let file: LocalFile | null = null;
      if (typeof destination === 'string') {
        if (options.resume) {
          const localSize = await stat(destination).then((stats) => stats.size, () => null);
          if (localSize !== null && (totalBytes === undefined || localSize <= totalBytes)) startOffset = localSize;
          if (totalBytes !== undefined && startOffset === totalBytes) {
            if (options.modifiedAt) await utimes(destination, options.modifiedAt, options.modifiedAt);
            return { transferredBytes: 0, startOffset, reply: null };
          }
        }
        file = await LocalFile.forDownload(destination, startOffset, this.options.fileIo, options.refusesSymlink);
      }
      // A binary download into a regular file takes the receiver's recycled buffers (positional
      // writes); anything else (ASCII, a FIFO or device, written in order) a stream.
      const receiver = file?.isRegularFile && type === 'binary' ? new FileDownloadReceiver(file.fd, startOffset, file.write) : null;
      const stream = file && !receiver ? fileStream(file.fd, file.isRegularFile ? startOffset : undefined) : null;
      const local = typeof destination !== 'string' ? destination : (receiver ?? stream!);
      const transforms = type === 'ascii' ? [createNetworkToLocalAscii()] : [];
      const moved = { bytes: 0 };
      try {
        const reply = await this.transferFile({ verb: 'RETR', remotePath, direction: 'download', local, transforms, startOffset, totalBytes }, options, moved);
        if (file && options.modifiedAt) await file.setModifiedAt(options.modifiedAt);
        return { transferredBytes: moved.bytes, startOffset, reply };
      } catch (error) {
        const transferredBytes = Math.max(moved.bytes, receiver?.bytesReceived ?? 0);
        // A refused RETR must not leave an empty file behind that looks like a download.
        if (file?.isCreated && transferredBytes === 0 && error instanceof FtpReplyError) {
          await file.close(stream).catch(() => undefined);
          await unlink(destination as string).catch(() => undefined);
        }
        throw error;
      } finally {
        // Both the stream and the receiver borrow the file: once the transfer settled no write of
        // the receiver is in flight, and close() waits for the stream's.
        await file?.close(stream);
      }
    });
  }

  /** Upload from a Readable or a local file path to `remotePath` (STOR, or APPE to append/resume). */
  async upload(source: Readable | string, remotePath: string, options: UploadOptions = {}): Promise<TransferResult> {
    return this.exclusive('upload', async () => {
      const type = options.type ?? 'binary';
      await this.ensureType(type);
      let startOffset = 0;
      let totalBytes: number | undefined;
      let verb = options.append ? 'APPE' : 'STOR';
      let file: LocalFile | null = null;
      let stream: Readable | null = null;
      try {
        if (typeof source === 'string') {
          file = await LocalFile.forUpload(source, this.options.fileIo);
          // A FIFO or device has no size: it is read to its end, in order, and cannot be resumed.
          totalBytes = file.isRegularFile ? (await file.stat()).size : undefined;
          if (options.resume && totalBytes !== undefined) {
            const remoteSize = await this.sizeUnlocked(remotePath).catch((error: unknown) => {
              if (error instanceof FtpReplyError && error.replyCode === ReplyCode.FileUnavailable) return 0;
              throw error;
            });
            if (remoteSize === totalBytes) return { transferredBytes: 0, startOffset: remoteSize, reply: null };
            if (remoteSize > 0 && remoteSize < totalBytes) {
              startOffset = remoteSize;
              verb = 'APPE';
            }
          }
        }
        // A binary upload from a regular file is sent through recycled buffers; anything else as a stream.
        if (file && (type !== 'binary' || !file.isRegularFile)) {
          const start = file.isRegularFile ? { start: startOffset } : {};
          stream = createReadStream('', { fd: file.fd, ...start, autoClose: false, highWaterMark: localFileChunkBytes });
        }
        const local = file === null ? (source as Readable) : (stream ?? new FileUploadSender(file.fd, startOffset, totalBytes!, file.readPolicy, file.isOnLocalFileSystem));
        const transforms = type === 'ascii' ? [createLocalToNetworkAscii()] : [];
        const moved = { bytes: 0 };
        const reply = await this.transferFile({ verb, remotePath, direction: 'upload', local, transforms, startOffset, totalBytes }, options, moved);
        return { transferredBytes: moved.bytes, startOffset, reply };
      } finally {
        await file?.close(stream);
      }
    });
  }

  private async exclusive<T>(operation: string, task: () => Promise<T>): Promise<T> {
    if (this.isBusy) {
      throw new FtpBusyError(`${operation}() called while another request is running; FtpClient does one request at a time — await it, or use a second client`);
    }
    this.isBusy = true;
    try {
      return await task();
    } finally {
      this.isBusy = false;
    }
  }

  private connected(): ControlConnection {
    if (!this.control) throw new FtpConnectionClosedError('not connected; call connect() first');
    return this.control;
  }

  private async loginUnlocked(user = 'anonymous', password?: string): Promise<void> {
    const control = this.connected();
    const userReply = await control.request('USER', user);
    if (userReply.replyCode === ReplyCode.UserLoggedIn) return;
    if (userReply.replyCode !== ReplyCode.UserNameOkNeedPassword) {
      throw new FtpProtocolError(`USER answered ${userReply.replyCode}, expected 230 or 331`);
    }
    // RFC 1635: anonymous users give an e-mail-like password.
    const passReply = await control.request('PASS', password ?? (user === 'anonymous' || user === 'ftp' ? 'anonymous@' : ''));
    if (passReply.replyCode !== ReplyCode.UserLoggedIn && passReply.replyCode !== ReplyCode.CommandNotImplementedSuperfluous) {
      throw new FtpProtocolError(`PASS answered ${passReply.replyCode}; accounts (ACCT) are not supported`);
    }
  }

  /** RFC 4217 §9: PBSZ 0 (required before PROT, meaningless for TLS) and PROT P (private data). */
  private async protectDataUnlocked(): Promise<void> {
    const control = this.connected();
    try {
      await control.request('PBSZ', '0');
      await control.request('PROT', 'P');
    } catch (error) {
      if (!(error instanceof FtpReplyError)) throw error;
      throw new FtpTlsError(`the server refused to protect data connections (${error.message}); files would travel in clear text`, {
        cause: error,
      });
    }
    this.isDataProtected = true;
  }

  private async loadFeatures(): Promise<void> {
    const reply = await this.connected().request('FEAT').catch((error: unknown) => {
      if (error instanceof FtpReplyError) return null;
      throw error;
    });
    const features = new Map<string, string>();
    // RFC 2389 §3.2: first and last lines are free text; each feature line starts with a space.
    for (const line of reply?.lines.slice(1, -1) ?? []) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      const space = trimmed.indexOf(' ');
      const name = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
      features.set(name, space === -1 ? '' : trimmed.slice(space + 1));
    }
    this.featureMap = features;
  }

  private async ensureType(type: TransferType): Promise<void> {
    const code = type === 'ascii' ? 'A' : 'I';
    if (this.currentType === code) return;
    await this.connected().request('TYPE', code);
    this.currentType = code;
  }

  private async pwdUnlocked(): Promise<string> {
    const reply = await this.connected().request('PWD');
    const path = parseQuotedPath(replyText(reply));
    if (path === null) throw new FtpProtocolError(`unreadable PWD reply: ${replyText(reply).slice(0, 80)}`);
    return path;
  }

  private async sizeUnlocked(path: string): Promise<number> {
    await this.ensureType('binary');
    const reply = await this.connected().request('SIZE', path);
    const text = replyText(reply).trim();
    if (!/^\d+$/.test(text)) throw new FtpProtocolError(`unreadable SIZE reply: ${text.slice(0, 80)}`);
    return Number(text);
  }

  private async listUnlocked(path: string | undefined, signal: AbortSignal | undefined): Promise<FileEntry[]> {
    const usesMlsd = this.featureMap.has('MLST');
    // Listings are text; TYPE A is what RFC 959 §4.1.3 prescribes, but every server sends the same
    // bytes in TYPE I and switching back and forth costs two round trips, so TYPE I stays.
    const sink = new BoundedSink(this.options.maxListingBytes, 'directory listing');
    await this.transfer({
      verb: usesMlsd ? 'MLSD' : 'LIST',
      argument: path,
      direction: 'download',
      local: sink,
      transforms: [],
      startOffset: 0,
      remotePath: path ?? '.',
      signal,
    });
    return parseListing(sink.contents.toString('utf8'));
  }

  private async mkdirRecursiveUnlocked(path: string): Promise<void> {
    const control = this.connected();
    const original = await this.pwdUnlocked();
    try {
      if (path.startsWith('/')) await control.request('CWD', '/');
      for (const segment of path.split('/').filter((part) => part !== '')) {
        try {
          await control.request('CWD', segment);
        } catch (error) {
          if (!(error instanceof FtpReplyError)) throw error;
          await control.request('MKD', segment);
          await control.request('CWD', segment);
        }
      }
    } finally {
      if (!control.isClosed) await control.request('CWD', original);
    }
  }

  private async statUnlocked(path: string): Promise<FileEntry | null> {
    if (!this.featureMap.has('MLST')) return null;
    const reply = await this.connected().request('MLST', path);
    // RFC 3659 §7.2: the facts line sits between the reply's first and last lines.
    for (const line of reply.lines.slice(1, -1)) {
      const entry = parseMlsxLine(line);
      if (entry) {
        const { facts: _facts, ...fileEntry } = entry;
        return fileEntry;
      }
    }
    throw new FtpProtocolError(`unreadable MLST reply: ${replyText(reply).slice(0, 80)}`);
  }

  /** `rm -r` of one path a listing (or the caller) calls a directory; see removeDirectory. */
  private async removeTreeUnlocked(directory: string, uniqueId: string | undefined, visited: VisitedDirectories): Promise<void> {
    const control = this.connected();
    // SECURITY: a listing's "directory" may be a symbolic link (pyftpdlib's MLSD reports the
    // target's type and unique); descending into it would delete files outside the tree. DELE
    // removes the link itself, while unlink(2) refuses every real directory, so only a refused
    // DELE leads to the contents. A tree is removed anyway: a server whose DELE removes a real
    // directory does what was asked.
    try {
      await control.request('DELE', directory);
      return;
    } catch (error) {
      if (!(error instanceof FtpReplyError)) throw error;
    }
    const sameAs = visited.enter(uniqueId, directory);
    // SECURITY: entered before under the same unique: a loop (`d/up -> ..`) or a second way into
    // one directory. Descending again could run forever or delete through the alias.
    if (sameAs !== null) throw new FtpDirectoryAliasError(directory, sameAs);
    for (const entry of await this.listUnlocked(directory, undefined)) {
      const path = joinRemotePath(directory, assertSafeName(entry.name));
      // Links (type=OS.unix=slink, LIST's "l") and unknown types are removed as files, never entered.
      if (entry.type === 'directory') await this.removeTreeUnlocked(path, entry.uniqueId, visited);
      else await control.request('DELE', path);
    }
    await control.request('RMD', directory);
  }

  /** A download's or upload's transfer; `moved.bytes` follows its progress, so it is known when the transfer fails too. */
  private transferFile(
    plan: {
      verb: string;
      remotePath: string;
      direction: 'download' | 'upload';
      local: Writable | Readable | LocalFileMover;
      transforms: Transform[];
      startOffset: number;
      totalBytes: number | undefined;
    },
    options: TransferOptions,
    moved: { bytes: number },
  ): Promise<FtpReply> {
    return this.transfer({
      ...plan,
      argument: plan.remotePath,
      signal: options.signal,
      onProgress: (progress) => {
        moved.bytes = progress.transferredBytes;
        options.onProgress?.(progress);
      },
    });
  }

  private async transfer(plan: {
    verb: string;
    argument: string | undefined;
    direction: 'download' | 'upload';
    local: Writable | Readable | LocalFileMover;
    transforms: Transform[];
    startOffset: number;
    totalBytes?: number | undefined;
    remotePath: string;
    signal: AbortSignal | undefined;
    onProgress?: (progress: TransferProgress) => void;
  }): Promise<FtpReply> {
    const control = this.connected();
    const tlsOptions = this.isDataProtected ? await control.dataTlsOptions() : null;
    const readInto = isLocalFileMover(plan.local) ? (plan.local.onread ?? null) : null;
    const channel = await openDataChannel(control, this.dataConnectionOptions(), this.dataModeMemory, tlsOptions, readInto);
    try {
      // REST goes right before the transfer command (RFC 3659 §5.3).
      if (plan.startOffset > 0 && plan.verb !== 'APPE') await control.request('REST', String(plan.startOffset));
    } catch (error) {
      channel.close();
      throw error;
    }
    return runTransfer(control, channel, plan, { dataTimeoutMs: this.options.dataTimeoutMs, replyTimeoutMs: this.options.replyTimeoutMs });
  }

  private dataConnectionOptions(): DataConnectionOptions {
    return {
      mode: this.options.dataMode,
      usesEpsv: this.options.usesEpsv,
      usesEprt: this.options.usesEprt,
      allowsForeignPassiveAddress: this.options.allowsForeignPassiveAddress,
      activeListenAddress: this.options.activeListenAddress,
      activeAdvertisedAddress: this.options.activeAdvertisedAddress,
      activePortRange: this.options.activePortRange,
      dataTimeoutMs: this.options.dataTimeoutMs,
    };
  }
}

/** A write stream into an open file from `start` (or in order), leaving the file open (the download closes it). */
function fileStream(fd: number, start: number | undefined): Writable {
  return createWriteStream('', { fd, ...(start === undefined ? {} : { start }), autoClose: false, highWaterMark: localFileChunkBytes });
}

function ignoreReplyError(error: unknown): null {
  if (error instanceof FtpReplyError) return null;
  throw error;
}
