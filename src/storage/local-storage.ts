/**
 * Storage on the local disk under one root directory. This is the only module that sees real
 * paths (ARCHITECTURE.md convention 11): virtual paths come in, StorageErrors with client-safe
 * messages go out, and the OS error (which names real paths) rides along only as `cause`.
 */
import { chmodSync, closeSync, constants as fsConstants, fstat, ftruncate, ftruncateSync, lstatSync, mkdirSync, renameSync, rmdirSync, unlinkSync, utimesSync, open as openDescriptor, close as closeDescriptor, realpathSync, statSync, writev, writevSync, writeSync, type BigIntStats, type Stats } from 'node:fs';
import { lstat, mkdir, readlink, realpath, rename, rmdir, stat, unlink, utimes, chmod, link } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { splitSegments, joinSegments, type VirtualPath } from '../protocol/virtual-path.js';
import { compareEntryNames } from '../protocol/listing/file-entry.js';
import { openDirectoryInOrder, readDirectoryStats, type EntryStats, type OrderedDirectory } from './directory-lstat.js';
import { nativeSocketReceiver, type RunningSocketTransfer } from '../native/native-addon.js';
import { startPoolTransfer } from '../native/native-transfer.js';
import { InlineFileIo, type FileIoMode } from '../file-io/inline-file-io.js';
import { LocalDownload } from './local-download.js';
import { claimUploadLock, diskFileKey, type ReleaseUploadLock } from './upload-lock.js';
import { createStorageError, StorageError, type FileStat, type OrderedListing, type ReadOptions, type Storage, type UploadTarget, type ReceivingUpload, type DownloadSource, type WriteOptions } from './storage.js';

/** Options for LocalStorage. */
export interface LocalStorageOptions {
  /**
   * Write truncating uploads (STOR, STOU) to a hidden temporary file and rename it over the target
   * only when the upload finished, so readers never see a partial file. Append and offset (REST)
   * uploads always write in place: they exist to extend a partial file.
   */
  atomicUploads?: boolean;
  /**
   * 'auto' (default): on a local file system, downloads open and read, and uploads write, with
   * synchronous calls while they stay fast (see inline-file-io.ts); 'thread-pool': never.
   */
  fileIo?: FileIoMode;
}

/** Prefix of the hidden temporary files of atomic uploads; such names are left out of listings. */
export const atomicUploadPrefix = '.ferry-upload-';

const maxSymbolicLinkHops = 40; // Linux's MAXSYMLINKS
// SECURITY: O_NOFOLLOW on every open of a resolved path, so a symlink swapped in after the
// containment check makes the open fail instead of following it out of the root. And O_NONBLOCK
// (as vsftpd's opens): opening a FIFO blocks until its other end is opened, which inline froze every
// session and in the thread pool held a thread; with it the open returns at once (or ENXIO) and
// the fstat that follows refuses anything but a regular file. It changes nothing for regular files.
const noFollow = (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

const storageError = createStorageError;

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Translate an fs error into a StorageError; `whileRemovingDirectory` makes EEXIST mean "not empty" (POSIX allows either). */
function toStorageError(error: unknown, whileRemovingDirectory = false): StorageError {
  if (error instanceof StorageError) return error;
  switch (errnoOf(error)) {
    case 'ENOENT':
      return storageError('not-found', error);
    case 'EEXIST':
      return storageError(whileRemovingDirectory ? 'directory-not-empty' : 'already-exists', error);
    case 'ENOTDIR':
      return storageError('not-a-directory', error);
    case 'EISDIR':
      return storageError('is-a-directory', error);
    case 'ENOTEMPTY':
      return storageError('directory-not-empty', error);
    case 'EACCES':
    case 'EPERM':
    case 'ELOOP': // O_NOFOLLOW met a symlink: it appeared after the containment check
    case 'ENXIO': // O_NONBLOCK met a FIFO that nobody reads
      return storageError('permission-denied', error);
    case 'ENOSPC':
      return storageError('no-space', error);
    case 'EDQUOT':
      return storageError('quota-exceeded', error);
    case 'EBUSY':
      return storageError('busy', error);
    case 'ENAMETOOLONG':
    case 'EINVAL': // rename of a directory into itself
      return storageError('invalid-name', error);
    default:
      return storageError('io-error', error);
  }
}

function isMissing(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}

/** A virtual path resolved on disk. */
interface ResolvedPath {
  /** Every symlink followed; guaranteed inside the root. */
  readonly real: string;
  readonly isRoot: boolean;
}

/** A Storage on the local disk; the root must be a real (symlink-free, absolute) directory path. */
export class LocalStorage implements Storage {
  readonly #rootInput: string;
  readonly #isAtomic: boolean;
  readonly #io: InlineFileIo;
  #root: Promise<string> | undefined;

  /** Serve the directory `rootRealPath`; nothing outside it is ever read, written or revealed. */
  constructor(rootRealPath: string, options: LocalStorageOptions = {}) {
    if (!path.isAbsolute(rootRealPath)) throw new TypeError('LocalStorage root must be an absolute path');
    this.#rootInput = rootRealPath;
    this.#isAtomic = options.atomicUploads ?? false;
    this.#io = new InlineFileIo(options.fileIo ?? 'auto', rootRealPath);
  }

  /** The root, realpath'd once so containment compares like with like even if the caller passed a symlinked path. */
  #rootReal(): Promise<string> {
    this.#root ??= realpath(this.#rootInput).catch((error: unknown) => {
      this.#root = undefined;
      throw toStorageError(error);
    });
    return this.#root;
  }

  #isInside(root: string, real: string): boolean {
    if (real === root) return true;
    const prefix = root.endsWith(path.sep) ? root : root + path.sep;
    return real.startsWith(prefix);
  }

  /** The root-relative segments of a virtual path, refusing anything that could step out of the root. */
  #segmentsOf(virtualPath: VirtualPath): string[] {
    if (typeof virtualPath !== 'string' || !virtualPath.startsWith('/')) throw storageError('invalid-name');
    const segments = splitSegments(virtualPath);
    for (const segment of segments) {
      // SECURITY: path traversal. VirtualPath is normalised by construction, but a cast string must
      // not be able to climb out of the root with "..", and NUL would truncate the name in C.
      if (segment === '.' || segment === '..') throw storageError('permission-denied');
      if (segment.includes('\0')) throw storageError('invalid-name');
      if (path.sep === '\\' && /[\\:]/.test(segment)) throw storageError('invalid-name');
    }
    return segments;
  }

  /**
   * Resolve a virtual path to a real path inside the root, following every symlink (including a
   * dangling one, whose target is where a write would land). Missing trailing components are kept
   * as they are, so the caller's own syscall reports not-found.
   * SECURITY: symlink escape. Containment is judged on the resolved real path, so a link inside the
   * root that points outside it is refused for every operation. (A race with a local user who swaps
   * directories for links between this check and the syscall is narrowed by O_NOFOLLOW on opens.)
   */
  async #resolve(virtualPath: VirtualPath): Promise<ResolvedPath> {
    const root = await this.#rootReal();
    const segments = this.#segmentsOf(virtualPath);
    return { real: await this.#realOf(root, segments), isRoot: segments.length === 0 };
  }

  /**
   * Like #resolve, plus the directory entry itself (real parent + own name), for operations that
   * act on a name rather than on what it points to (delete, rmdir, rename). The full resolution is
   * still checked, so an escaping symlink cannot even be renamed or removed.
   */
  async #resolveEntry(virtualPath: VirtualPath): Promise<ResolvedPath & { readonly entry: string }> {
    const root = await this.#rootReal();
    const segments = this.#segmentsOf(virtualPath);
    const real = await this.#realOf(root, segments);
    if (segments.length === 0) return { real, entry: root, isRoot: true };
    const parent = await this.#realOf(root, segments.slice(0, -1));
    return { real, entry: path.join(parent, segments[segments.length - 1]!), isRoot: false };
  }

  async #realOf(root: string, segments: readonly string[]): Promise<string> {
    if (this.#io.isAllowed) {
      const inline = this.#realOfInline(root, segments);
      if (inline !== null) return inline;
    }
    let real: string;
    try {
      real = await realpath(path.join(root, ...segments));
    } catch (error) {
      if (!isMissing(error) && errnoOf(error) !== 'ELOOP') throw toStorageError(error);
      real = await this.#resolveSegments(root, segments);
    }
    if (!this.#isInside(root, real)) throw storageError('permission-denied');
    return real;
  }

  /**
   * The common case of #realOf without the thread pool (see inline-file-io.ts): realpath succeeds
   * and lands inside the root. Anything else (a missing component, an escaping link, any error)
   * returns null and the asynchronous path decides, so both paths give the same answers. Saves a
   * thread-pool round trip (~0.1-0.2 ms on the bench VM) on every command that names a path.
   */
  #realOfInline(root: string, segments: readonly string[]): string | null {
    try {
      // .native: glibc's realpath(3), ~10 µs here against ~20 µs for the JavaScript one (which
      // lstats each component and builds a Stats for it); the async path's realpath is native too.
      const real = this.#io.run(() => realpathSync.native(path.join(root, ...segments)));
      return this.#isInside(root, real) ? real : null;
    } catch (error) {
      return isMissing(error) && segments.length > 0 ? this.#newEntryInline(root, segments) : null;
    }
  }

  /**
   * A name that does not exist yet in an existing directory (an upload's new file, MKD): the
   * directory's real path plus the name, as #resolveSegments would give. Only when the name is
   * truly absent (lstat ENOENT; a dangling link is left to the asynchronous path, which follows it).
   */
  #newEntryInline(root: string, segments: readonly string[]): string | null {
    let parent: string;
    try {
      parent = this.#io.run(() => realpathSync.native(path.join(root, ...segments.slice(0, -1))));
    } catch {
      return null;
    }
    if (!this.#isInside(root, parent)) return null;
    const entry = path.join(parent, segments[segments.length - 1]!);
    try {
      this.#io.run(() => lstatSync(entry));
    } catch (error) {
      return isMissing(error) ? entry : null;
    }
    return null; // it exists after all (a dangling link, or created meanwhile)
  }

  /** Walk segments from the root one lstat at a time; used when realpath cannot (a component is missing). */
  async #resolveSegments(root: string, initial: readonly string[]): Promise<string> {
    const pending = [...initial];
    let current = root;
    let hops = 0;
    while (pending.length > 0) {
      const segment = pending.shift()!;
      const candidate = path.join(current, segment);
      let stats;
      try {
        stats = await lstat(candidate);
      } catch (error) {
        if (isMissing(error)) return path.join(candidate, ...pending);
        throw toStorageError(error);
      }
      if (!stats.isSymbolicLink()) {
        current = candidate;
        continue;
      }
      if (++hops > maxSymbolicLinkHops) throw storageError('permission-denied');
      const target = path.resolve(current, await readlink(candidate).catch((error: unknown) => Promise.reject(toStorageError(error))));
      if (!this.#isInside(root, target)) throw storageError('permission-denied');
      pending.unshift(...path.relative(root, target).split(path.sep).filter((part) => part !== ''));
      current = root;
    }
    return current;
  }

  #virtualOf(root: string, real: string): string {
    return joinSegments(path.relative(root, real).split(path.sep).filter((part) => part !== ''));
  }

  #toFileStat(name: string, stats: BigIntStats | EntryStats, type: FileStat['type'], linkTarget?: string): FileStat {
    // Built as one literal of a fixed shape (no spread): listings make 10,000s of these at a time.
    const entry: { -readonly [Key in keyof FileStat]: FileStat[Key] } = {
      name,
      type,
      size: type === 'file' ? Number(stats.size) : 0,
      modifiedAt: new Date(typeof stats.mtimeMs === 'bigint' ? Number(stats.mtimeMs) : Math.trunc(stats.mtimeMs)),
      mode: Number(stats.mode) & 0o7777,
      owner: 'ftp',
      group: 'ftp',
      uniqueId: uniqueIdOf(stats.dev, stats.ino),
    };
    if (linkTarget !== undefined) entry.linkTarget = linkTarget;
    return entry;
  }

  /** Metadata of a path, following symlinks; the root's name is "/". */
  async stat(virtualPath: VirtualPath): Promise<FileStat> {
    const resolved = await this.#resolve(virtualPath);
    try {
      const stats = await this.#io.call(() => statSync(resolved.real, { bigint: true }), () => stat(resolved.real, { bigint: true }));
      const segments = splitSegments(virtualPath);
      return this.#toFileStat(segments[segments.length - 1] ?? '/', stats, typeOf(stats));
    } catch (error) {
      throw toStorageError(error);
    }
  }


  /**
   * Entries of a directory. A symlink is listed as 'symlink'; when it resolves inside the root it
   * carries the size and time of its target and `linkTarget` as a virtual path, otherwise it is
   * shown with size 0 and no target, so the listing never reveals what lies outside the root.
   * Temporary files of atomic uploads are left out.
   */
  async list(virtualPath: VirtualPath): Promise<FileStat[]> {
    const resolved = await this.#resolve(virtualPath);
    const root = await this.#rootReal();
    const entries: FileStat[] = [];
    const symlinks: Promise<FileStat>[] = [];
    // Each entry becomes a FileStat at once (a Stats held to the end was promoted out of the young
    // generation); temporary files of atomic uploads are left out.
    try {
      await readDirectoryStats(
        resolved.real,
        (name) => !name.startsWith(atomicUploadPrefix),
        (name, stats) => {
          const type = typeOfMode(stats.mode);
          if (type === 'symlink') symlinks.push(this.#describeSymlink(root, path.join(resolved.real, name), name, { ...stats }));
          else entries.push(this.#toFileStat(name, stats, type));
        },
      );
    } catch (error) {
      throw toStorageError(error);
    }
    entries.push(...(await Promise.all(symlinks)));
    return entries;
  }

  /**
   * Entries of a directory in listing order, in batches (Storage.listInOrder). With the native
   * helper the names are sorted first and stat'ed batch by batch while the earlier batches are
   * sent; without it, list() and one sorted batch.
   */
  async listInOrder(virtualPath: VirtualPath, include: (name: string) => boolean): Promise<OrderedListing> {
    const resolved = await this.#resolve(virtualPath);
    const root = await this.#rootReal();
    const directory = await openDirectoryInOrder(resolved.real, (name) => !name.startsWith(atomicUploadPrefix) && include(name));
    if (directory === null) return listedAtOnce(await this.list(virtualPath), include);
    return { count: directory.count, batches: this.#batchesOf(directory, root, resolved.real), close: () => directory.close() };
  }

  async *#batchesOf(directory: OrderedDirectory, root: string, real: string): AsyncGenerator<readonly FileStat[]> {
    try {
      for (;;) {
        const batch: (FileStat | Promise<FileStat>)[] = [];
        let hasSymlinks = false;
        const isMore = await directory.nextBatch((name, stats) => {
          const type = typeOfMode(stats.mode);
          if (type !== 'symlink') {
            batch.push(this.#toFileStat(name, stats, type));
            return;
          }
          hasSymlinks = true;
          batch.push(this.#describeSymlink(root, path.join(real, name), name, { ...stats }));
        });
        if (!isMore) return;
        yield hasSymlinks ? await Promise.all(batch) : (batch as FileStat[]);
      }
    } finally {
      directory.close();
    }
  }

  /** A symlink as listed: its target's size and time when the target is inside the root, else nothing about it. */
  async #describeSymlink(root: string, entryPath: string, name: string, stats: EntryStats): Promise<FileStat> {
    try {
      const target = await this.#resolveSegments(root, [...path.relative(root, entryPath).split(path.sep)]);
      const targetStats = await stat(target, { bigint: true }).catch(() => null);
      const shown = this.#toFileStat(name, targetStats ?? stats, 'symlink', this.#virtualOf(root, target));
      return { ...shown, size: targetStats?.isFile() ? Number(targetStats.size) : 0, mode: 0o777 };
    } catch {
      return { ...this.#toFileStat(name, stats, 'symlink'), size: 0, mode: 0o777 };
    }
  }

  /** Stream a file from `start` (default 0); is-a-directory for a directory. */
  async openRead(virtualPath: VirtualPath, options: ReadOptions = {}): Promise<DownloadSource> {
    const start = options.start ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('start must be a non-negative integer');
    if (this.#io.isAllowed) {
      const opened = this.#openForReadInline(await this.#rootReal(), this.#segmentsOf(virtualPath));
      if (opened) return new LocalDownload(opened.fd, start, opened.size, this.#io);
    }
    const resolved = await this.#resolve(virtualPath);
    let fd: number;
    try {
      fd = await new Promise<number>((resolve, reject) =>
        openDescriptor(resolved.real, fsConstants.O_RDONLY | noFollow, (error, opened) => (error ? reject(error) : resolve(opened))),
      );
    } catch (error) {
      throw toStorageError(error);
    }
    let size: number;
    try {
      const stats = await new Promise<Stats>((resolve, reject) => fstat(fd, (error, result) => (error ? reject(error) : resolve(result))));
      if (stats.isDirectory()) throw storageError('is-a-directory');
      if (!stats.isFile()) throw storageError('permission-denied'); // FIFOs and devices would block or never end
      size = stats.size;
    } catch (error) {
      closeDescriptor(fd, () => undefined);
      throw toStorageError(error);
    }
    return new LocalDownload(fd, start, size, this.#io);
  }

  /**
   * The common case of openRead without the thread pool: realpath, contained, a regular file.
   * Anything else (a missing file, an escaping link, a directory, any error) returns null and the
   * asynchronous path decides, so both paths give the same answers.
   */
  #openForReadInline(root: string, segments: readonly string[]): { fd: number; size: number } | null {
    const real = this.#realOfInline(root, segments);
    if (real === null) return null;
    try {
      const opened = this.#io.openRegularFile(real, fsConstants.O_RDONLY | noFollow);
      return opened && { fd: opened.fd, size: opened.stats.size };
    } catch {
      return null;
    }
  }


  /**
   * Open a file for writing: 'truncate' (STOR), 'append' (APPE) or { offset } (REST + STOR, which
   * like vsftpd cuts the file at the offset and writes from there, zero-filling if it was shorter).
   * The stream's 'finish' fires only after the data is written and the descriptor closed (and, with
   * atomic uploads, the file renamed into place). A stream destroyed before finishing keeps what
   * was written, except an atomic upload, whose temporary file is removed.
   * An upload that writes in place holds the file's upload lock (upload-lock.ts) until its
   * descriptor is closed: another one meanwhile is refused with busy, whatever path it came by.
   */
  async openWrite(virtualPath: VirtualPath, options: WriteOptions): Promise<UploadTarget> {
    const mode = options.mode;
    if (typeof mode === 'object' && (!Number.isSafeInteger(mode.offset) || mode.offset < 0)) {
      throw new RangeError('offset must be a non-negative integer');
    }
    const resolved = await this.#resolve(virtualPath);
    if (resolved.isRoot) throw storageError('is-a-directory');
    const isExclusive = options.isExclusive ?? false;
    const exclusiveFlag = isExclusive ? fsConstants.O_EXCL : 0;
    const isAtomic = this.#isAtomic && mode === 'truncate';

    if (isAtomic) {
      // Fail early for the common refusals; the final rename (or link, if exclusive) decides races.
      const existing = await stat(resolved.real).catch((error: unknown) => (isMissing(error) ? null : Promise.reject(toStorageError(error))));
      if (existing?.isDirectory()) throw storageError('is-a-directory');
      if (existing !== null && isExclusive) throw storageError('already-exists');
      const temporary = path.join(path.dirname(resolved.real), atomicUploadPrefix + randomBytes(12).toString('hex'));
      let fd: number;
      try {
        fd = await openFileDescriptor(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | noFollow);
      } catch (error) {
        throw toStorageError(error);
      }
      return uploadTargetOf(new FileUploadStream(fd, this.#io, 0, false, { temporary, target: resolved.real, isExclusive }, null), this.#io);
    }

    // No O_TRUNC: a STOR cuts the file only once it holds the upload lock (as vsftpd: open, lock,
    // ftruncate), so a second upload refused as busy leaves the running one's bytes alone.
    let flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | exclusiveFlag | noFollow;
    if (mode === 'append') flags |= fsConstants.O_APPEND;
    const position = typeof mode === 'object' ? mode.offset : 0;
    const truncateAt = mode === 'append' ? null : position;
    const inline = this.#io.isAllowed ? this.#openForWriteInline(resolved.real, flags, truncateAt) : null;
    if (inline !== null) return uploadTargetOf(new FileUploadStream(inline.fd, this.#io, position, mode === 'append', null, inline.releaseLock), this.#io);
    let fd: number;
    try {
      fd = await openFileDescriptor(resolved.real, flags);
    } catch (error) {
      throw toStorageError(error);
    }
    let releaseLock: ReleaseUploadLock | null = null;
    try {
      const stats = await new Promise<Stats>((resolve, reject) => fstat(fd, (error, result) => (error ? reject(error) : resolve(result))));
      if (stats.isDirectory()) throw storageError('is-a-directory');
      if (!stats.isFile()) throw storageError('permission-denied'); // a FIFO or device: never written to
      releaseLock = claimUploadLock(diskFileKey(stats));
      if (truncateAt !== null && needsTruncation(truncateAt, stats.size)) {
        await new Promise<void>((resolve, reject) => ftruncate(fd, truncateAt, (error) => (error ? reject(error) : resolve())));
      }
    } catch (error) {
      releaseLock?.();
      closeDescriptor(fd, () => undefined);
      throw toStorageError(error);
    }
    return uploadTargetOf(new FileUploadStream(fd, this.#io, position, mode === 'append', null, releaseLock), this.#io);
  }

  /**
   * The common case of openWrite (not atomic) without the thread pool: open, a regular file, take
   * the upload lock, cut at `truncateAt` (STOR, REST + STOR). A file another upload holds throws
   * busy; anything else (an error, a directory, …) returns null and the asynchronous path decides,
   * so both give the same answers. Saves the open's and fstat's thread-pool round trips of every upload.
   */
  #openForWriteInline(real: string, flags: number, truncateAt: number | null): { fd: number; releaseLock: ReleaseUploadLock } | null {
    let opened;
    try {
      opened = this.#io.openRegularFile(real, flags);
    } catch {
      return null;
    }
    if (opened === null) return null;
    let releaseLock: ReleaseUploadLock;
    try {
      releaseLock = claimUploadLock(diskFileKey(opened.stats));
    } catch (error) {
      closeSync(opened.fd);
      throw error;
    }
    try {
      if (truncateAt !== null && needsTruncation(truncateAt, opened.stats.size)) this.#io.run(() => ftruncateSync(opened.fd, truncateAt));
      return { fd: opened.fd, releaseLock };
    } catch {
      releaseLock();
      closeSync(opened.fd);
      return null; // the asynchronous path reports it
    }
  }


  /** Remove a file (or a symlink itself, never its target); is-a-directory for a directory. */
  async deleteFile(virtualPath: VirtualPath): Promise<void> {
    const resolved = await this.#resolveEntry(virtualPath);
    if (resolved.isRoot) throw storageError('permission-denied');
    try {
      const stats = await this.#io.call(() => lstatSync(resolved.entry), () => lstat(resolved.entry));
      if (stats.isDirectory()) throw storageError('is-a-directory');
      await this.#io.call(() => unlinkSync(resolved.entry), () => unlink(resolved.entry));
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Create one directory; the parent must exist. */
  async makeDirectory(virtualPath: VirtualPath): Promise<void> {
    const resolved = await this.#resolve(virtualPath);
    try {
      await this.#io.call(() => mkdirSync(resolved.real, { mode: 0o777 }), () => mkdir(resolved.real, { mode: 0o777 }));
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Remove an empty directory; the root can never be removed. */
  async removeDirectory(virtualPath: VirtualPath): Promise<void> {
    const resolved = await this.#resolveEntry(virtualPath);
    if (resolved.isRoot) throw storageError('permission-denied');
    try {
      await this.#io.call(() => rmdirSync(resolved.entry), () => rmdir(resolved.entry));
    } catch (error) {
      throw toStorageError(error, true);
    }
  }

  /** Rename or move within the root, replacing an existing file as POSIX rename(2) does. */
  async rename(from: VirtualPath, to: VirtualPath): Promise<void> {
    const source = await this.#resolveEntry(from);
    const target = await this.#resolveEntry(to);
    if (source.isRoot || target.isRoot) throw storageError('permission-denied');
    try {
      await this.#io.call(() => renameSync(source.entry, target.entry), () => rename(source.entry, target.entry));
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Set the modification time, keeping the access time. */
  async setModificationTime(virtualPath: VirtualPath, modifiedAt: Date): Promise<void> {
    const resolved = await this.#resolve(virtualPath);
    try {
      const stats = await this.#io.call(() => statSync(resolved.real), () => stat(resolved.real));
      await this.#io.call(() => utimesSync(resolved.real, stats.atime, modifiedAt), () => utimes(resolved.real, stats.atime, modifiedAt));
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Change the permission bits (masked to 0o7777). */
  async changeMode(virtualPath: VirtualPath, mode: number): Promise<void> {
    const resolved = await this.#resolve(virtualPath);
    try {
      await this.#io.call(() => chmodSync(resolved.real, mode & 0o7777), () => chmod(resolved.real, mode & 0o7777));
    } catch (error) {
      throw toStorageError(error);
    }
  }
}

/** A listing read at once (no native helper): the entries `include` accepts, sorted, as one batch. */
function listedAtOnce(entries: FileStat[], include: (name: string) => boolean): OrderedListing {
  const listed = entries.filter((entry) => include(entry.name)).sort(compareEntryNames);
  async function* batches(): AsyncGenerator<readonly FileStat[]> {
    if (listed.length > 0) yield listed;
  }
  return { count: listed.length, batches: batches(), close: () => undefined };
}

/** The type of an lstat'ed entry from its mode bits (the listing path has no Stats methods). */
function typeOfMode(mode: number): FileStat['type'] {
  switch (mode & fsConstants.S_IFMT) {
    case fsConstants.S_IFREG:
      return 'file';
    case fsConstants.S_IFDIR:
      return 'directory';
    case fsConstants.S_IFLNK:
      return 'symlink';
    default:
      return 'unknown';
  }
}

/** The device's hex text, kept for the next entry: a directory's entries nearly always share one device. */
let lastDevice: number | bigint = -1;
let lastDevicePrefix = '';

/** The MLSx "unique" fact: device and inode in hex. */
function uniqueIdOf(device: number | bigint, inode: number | bigint): string {
  if (device !== lastDevice) {
    lastDevicePrefix = `${device.toString(16)}g`;
    lastDevice = device;
  }
  return lastDevicePrefix + inode.toString(16);
}

function typeOf(stats: BigIntStats | Stats): FileStat['type'] {
  return typeOfMode(Number(stats.mode));
}

/**
 * Whether an upload must cut a file of `size` bytes at `truncateAt`. A STOR (0) of a file that is
 * already empty need not: that is every new file, and the thread-pool path saves a round trip.
 * (Its modification time then changes only when bytes arrive; O_TRUNC changed it at the open.)
 */
function needsTruncation(truncateAt: number, size: number): boolean {
  return !(truncateAt === 0 && size === 0);
}

/** open(2) through the thread pool (the callback API: cheaper per call than FileHandle's promise). */
function openFileDescriptor(real: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => openDescriptor(real, flags, 0o666, (error, fd) => (error ? reject(error) : resolve(fd))));
}

/**
 * The upload target. writeNow is offered only while inline writes are allowed when the upload
 * starts: otherwise (fileIo 'thread-pool', a non-local file system, the watchdog tripped) a
 * receiver would copy every buffer into the stream, so plain `pipeline` into the stream is cheaper.
 * receiveFrom (splice, off the event loop) is offered on a known local file system with fileIo
 * 'auto' when the native helper is there, whatever the watchdog says.
 */
function uploadTargetOf(stream: FileUploadStream, io: InlineFileIo): UploadTarget {
  return {
    stream,
    ...(io.isAllowed ? { writeNow: (data: Uint8Array) => stream.writeNow(data) } : {}),
    ...(io.isLocalFileSystem && nativeSocketReceiver() !== null
      ? { receiveFrom: (socketFd: number, options: { signal: AbortSignal; stallTimeoutMs: number }) => stream.receiveFrom(socketFd, options) }
      : {}),
  };
}

let splicedUploadsStarted = 0;

/** For tests: how many uploads went through splice(2) so far. */
export function splicedUploadCount(): number {
  return splicedUploadsStarted;
}

interface AtomicCommit {
  readonly temporary: string;
  readonly target: string;
  readonly isExclusive: boolean;
}

/**
 * Uploaded bytes are held until this many have arrived and then written with one writev(2): the
 * socket delivers 64 KiB chunks, and one thread-pool round trip per chunk left the socket paused
 * most of the time (1 GiB STOR on loopback: ~550 -> ~1000-1200 MB/s, server CPU -35%).
 */
const uploadWriteBytes = 1024 * 1024;

/**
 * Largest single write(2) of UploadTarget.writeNow. Measured on the bench VM (kernel 6.18, ext4),
 * 1 GiB STOR, 256 KiB of data per writeNow, runs interleaved: one 256 KiB write 362-461 MB/s at
 * 1.9-2.5 s of server CPU; 64 KiB pieces 445-527 MB/s; 32 KiB pieces 517-748 MB/s at 1.0-1.7 s;
 * 16 KiB 391-722. perf put the difference in copy_folio_from_iter_atomic, the copy into the page
 * cache; larger writes let ext4 allocate larger page-cache folios, which on this VM come as colder
 * memory (our reading, not proven). Eight syscalls instead of one per 256 KiB cost little anywhere.
 */
const inlineWriteBytes = 32 * 1024;

/**
 * While more uploads than this are open at once, their writes go to the thread pool even where the
 * inline policy allows them: the event loop is then the bottleneck, and a write's copy into the
 * page cache (the largest share of its time per small upload in perf) runs on another core there.
 * Below it, inline writes save the thread-pool round trip. Measured on the 2-vCPU bench VM, 64 KiB
 * STOR with a new name each, 100 sessions, runs alternated: inline 863-1394 uploads/s, thread pool
 * 1559-1969; one session 727-876 either way; 1 GiB STOR is spliced and FTPS STOR is one session,
 * so neither changes.
 */
const maxUploadsWritingInline = 2;
let openUploads = 0;

/**
 * A Writable over an open file. Its `_final` closes the descriptor (and commits an atomic upload)
 * before 'finish' is emitted, so "finished" means durable in the OS and visible to readers; an
 * fs.WriteStream would emit 'finish' before its close.
 */
class FileUploadStream extends Writable {
  readonly #fd: number;
  readonly #io: InlineFileIo;
  readonly #isAppend: boolean;
  readonly #commit: AtomicCommit | null;
  /** The in-place upload's claim on its file (upload-lock.ts), released once the descriptor is closed. */
  readonly #releaseLock: ReleaseUploadLock | null;
  #position: number;
  #isClosed = false;
  #isCommitted = false;
  #inFlight: Promise<unknown> = Promise.resolve();
  /** A running receiveFrom: the file descriptor must stay open until it settles. */
  #splice: RunningSocketTransfer | null = null;
  /**
   * Accepted chunks not yet written; at most uploadWriteBytes (plus one chunk). Held by reference:
   * the writers (data sockets, transforms) never reuse a buffer they pushed.
   */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #isCounted = true;

  constructor(fd: number, io: InlineFileIo, position: number, isAppend: boolean, commit: AtomicCommit | null, releaseLock: ReleaseUploadLock | null) {
    // Chunks queue here while a write is in flight; beyond this the socket is paused (backpressure).
    super({ highWaterMark: uploadWriteBytes });
    this.#fd = fd;
    this.#io = io;
    this.#position = position;
    this.#isAppend = isAppend;
    this.#commit = commit;
    this.#releaseLock = releaseLock;
    openUploads++;
  }

  /** Inline writes: allowed by the policy, and few enough uploads open (maxUploadsWritingInline). */
  get #writesInline(): boolean {
    return this.#io.isAllowed && openUploads <= maxUploadsWritingInline;
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers.filter((buffer) => buffer.length > 0);
    while (pending.length > 0) {
      const bytesWritten = await this.#writev(pending);
      this.#position += bytesWritten;
      let remaining = bytesWritten;
      while (pending.length > 0 && remaining >= pending[0]!.length) remaining -= pending.shift()!.length;
      if (remaining > 0) pending[0] = pending[0]!.subarray(remaining);
    }
  }

  /**
   * One writev(2) on the descriptor: inline while the policy allows (see inline-file-io.ts), else
   * through the thread pool with the callback API (cheaper per call than FileHandle.writev's promise).
   */
  #writev(buffers: Buffer[]): Promise<number> {
    // With O_APPEND the kernel ignores the position; null writes at the current offset.
    const position = this.#isAppend ? null : this.#position;
    const inPool = (): Promise<number> =>
      new Promise((resolve, reject) => writev(this.#fd, buffers, position, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten))));
    if (!this.#writesInline) return inPool();
    return this.#io.call(() => writevSync(this.#fd, buffers, position ?? undefined), inPool);
  }

  /** UploadTarget.writeNow: write `data` inline, or answer false (policy, or stream data queued ahead). */
  writeNow(data: Uint8Array): boolean {
    if (!this.#writesInline || this.#held.length > 0 || this.writableLength > 0 || this.destroyed || this.writableEnded) return false;
    const fd = this.#fd;
    try {
      let written = 0;
      while (written < data.length) {
        // With O_APPEND the kernel ignores the position; null writes at the current offset.
        const position = this.#isAppend ? null : this.#position + written;
        const length = Math.min(inlineWriteBytes, data.length - written);
        written += this.#io.run(() => writeSync(fd, data, written, length, position));
      }
    } catch (error) {
      throw toStorageError(error);
    }
    this.#position += data.length;
    return true;
  }

  /**
   * UploadTarget.receiveFrom: splice(2) from the socket into the file on a thread-pool thread. Not
   * for append mode (the kernel refuses O_APPEND targets), and not while anything else was written.
   */
  receiveFrom(socketFd: number, options: { signal: AbortSignal; stallTimeoutMs: number }): ReceivingUpload | null {
    const receiver = nativeSocketReceiver();
    const isUnused = this.#held.length === 0 && this.writableLength === 0 && !this.destroyed && !this.writableEnded && this.#splice === null;
    if (receiver === null || this.#isAppend || !isUnused) return null;
    const receiving = startPoolTransfer(() => receiver.receiveToFile(socketFd, this.#fd, this.#position, options.stallTimeoutMs), options.signal);
    if (receiving === null) return null;
    splicedUploadsStarted++;
    this.#splice = receiving;
    const running = receiving.done
      .then(
        (result) => {
          this.#position += result.bytes;
          return result;
        },
        (error: Error & { side?: string; bytes?: number }) => {
          this.#position += error.bytes ?? 0;
          throw error.side === 'file' ? toStorageError(error) : error;
        },
      )
      .finally(() => {
        this.#splice = null;
      });
    this.#inFlight = running.catch(() => undefined);
    return { done: running, bytes: () => receiving.bytes() };
  }

  #run(work: () => Promise<void>, callback: (error?: Error | null) => void): void {
    const running = work();
    this.#inFlight = running.catch(() => undefined);
    running.then(
      () => callback(),
      (error: unknown) => callback(toStorageError(error)),
    );
  }

  /** Hold chunks until uploadWriteBytes arrived, then write them all; the callback waits for that write. */
  #accept(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    for (const chunk of chunks) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
    }
    if (this.#heldBytes < uploadWriteBytes) {
      callback();
      return;
    }
    this.#run(() => this.#writeAll(this.#takeHeld()), callback);
  }

  #takeHeld(): Buffer[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return held;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#accept([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#accept(chunks.map((entry) => entry.chunk), callback);
  }

  /**
   * Close the descriptor: inline while the policy allows, else through the thread pool. Then the
   * file's upload lock goes, whatever close says: every write has settled by now (_final and
   * _destroy wait for them), and a leaked lock would refuse uploads of this file until a restart.
   * Both _final and _destroy end here, so every way an upload ends releases it.
   */
  #close(): Promise<void> {
    return this.#io
      .call(
        () => closeSync(this.#fd),
        () => new Promise<void>((resolve, reject) => closeDescriptor(this.#fd, (error) => (error ? reject(error) : resolve()))),
      )
      .finally(() => {
        this.#releaseLock?.();
        if (this.#isCounted) openUploads--;
        this.#isCounted = false;
      });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#run(async () => {
      await this.#writeAll(this.#takeHeld());
      this.#isClosed = true;
      await this.#close();
      const commit = this.#commit;
      if (commit === null) return;
      if (commit.isExclusive) {
        // link(2) fails if the target exists, unlike rename(2): STOU must never replace a file.
        await link(commit.temporary, commit.target);
        await unlink(commit.temporary);
      } else {
        await rename(commit.temporary, commit.target);
      }
      this.#isCommitted = true;
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A running splice writes what it already received and stops; the file closes after it.
    this.#splice?.cancel();
    const cleanUp = async (): Promise<void> => {
      await this.#inFlight;
      if (!this.#isClosed) {
        // Held chunks were acknowledged to the writer: the partial file keeps them.
        if (this.#commit === null) await this.#writeAll(this.#takeHeld()).catch(() => undefined);
        this.#isClosed = true;
        await this.#close().catch(() => undefined);
      }
      if (this.#commit !== null && !this.#isCommitted) await unlink(this.#commit.temporary).catch(() => undefined);
    };
    cleanUp().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
