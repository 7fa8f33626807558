/**
 * The local file of a download or upload: opened, given its time and closed on the event loop when
 * the shared policy allows it (file-io/inline-file-io.ts: a known local file system, calls that
 * stay fast), else through libuv's thread pool, as the server's storage does.
 *
 * Why: each thread-pool call costs a futex wake-up and two context switches, and a small file takes
 * four of them (open, write, close, set time). Mirroring 1,000 files of 1-68 KB from a local Ferry
 * server (bench VM, 2 vCPUs, rotated rounds) took 2.10-2.15 s into tmpfs and 2.06-2.89 s into ext4
 * through the thread pool, against 1.72-1.93 s and 1.72-2.23 s with these calls inline.
 * Writes of a download's full 1 MiB buffers stay in the thread pool, so that a large file is written
 * while the next buffer arrives; only a tail of at most `inlineWriteBytes` is written inline.
 */
import { close, closeSync, constants as fsConstants, fstat, fstatSync, futimes, futimesSync, lstat, lstatSync, open, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InlineFileIo, type FileIoMode } from '../file-io/inline-file-io.js';
import type { InlineReadPolicy } from '../file-io/send-file-range.js';
import { writeAllAt, writeAllAtSync, type FileWriter } from './file-download-receiver.js';

/** The largest write made inline: a small file's content or a large one's tail. */
const inlineWriteBytes = 256 * 1024;

/** An open local file. Its descriptor is closed once, by close() (or by a destroyed fs stream over it, which close() then waits for). */
export class LocalFile {
  #isClosed = false;

  private constructor(
    opened: OpenedFile,
    /** True when the open created the file (a download may remove it again if the RETR is refused). */
    readonly isCreated: boolean,
    private readonly io: InlineFileIo,
  ) {
    this.fd = opened.fd;
    this.isRegularFile = opened.isRegularFile;
  }

  readonly fd: number;
  /** False for a FIFO or a device: written in order, never at a position. */
  readonly isRegularFile: boolean;

  /**
   * A download's target: written in place from `startOffset` when there is one (the file must
   * exist), else created (O_EXCL, so that a refused RETR knows it may remove it) or truncated. One
   * open in the common case of a new file, instead of a stat and an open (mirror of many files).
   */
  static async forDownload(path: string, startOffset: number, mode: FileIoMode, refusesSymlink = false): Promise<LocalFile> {
    const io = InlineFileIo.forDirectory(mode, dirname(resolve(path)));
    // SECURITY: with refusesSymlink a link at `path` fails the open (ELOOP) instead of being
    // written through; the creating open (O_EXCL) refuses one anyway.
    const noFollow = refusesSymlink ? fsConstants.O_NOFOLLOW : 0;
    if (startOffset > 0) return new LocalFile(await openFile(io, path, fsConstants.O_RDWR | noFollow), false, io);
    try {
      return new LocalFile(await openFile(io, path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL), true, io);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return new LocalFile(await openFile(io, path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | noFollow), false, io);
  }

  /** An upload's source, opened for reading. */
  static async forUpload(path: string, mode: FileIoMode): Promise<LocalFile> {
    const io = InlineFileIo.forDirectory(mode, dirname(resolve(path)));
    return new LocalFile(await openFile(io, path, fsConstants.O_RDONLY), false, io);
  }

  /** When an upload's reads may run inline (file-io/send-file-range.ts), as the server's downloads do. */
  get readPolicy(): InlineReadPolicy {
    return this.io;
  }

  /** Whether the file is on a known local file system (fileIo 'auto'): big uploads may then use sendfile. */
  get isOnLocalFileSystem(): boolean {
    return this.io.isLocalFileSystem;
  }

  /** Size and times of the open file. */
  stat(): Promise<Stats> {
    return this.io.call(
      () => fstatSync(this.fd),
      () => new Promise((done, fail) => fstat(this.fd, (error, stats) => (error ? fail(error) : done(stats)))),
    );
  }

  /** A download receiver's writer: small writes inline (see the module comment), the rest in the thread pool. */
  readonly write: FileWriter = (fd, data, position) => {
    if (data.length > inlineWriteBytes) return writeAllAt(fd, data, position);
    return this.io.call(
      () => writeAllAtSync(fd, data, position),
      () => writeAllAt(fd, data, position),
    );
  };

  /** Give the file this modification (and access) time, e.g. the remote file's. */
  setModifiedAt(time: Date): Promise<void> {
    return this.io.call(
      () => futimesSync(this.fd, time, time),
      () => new Promise((done, fail) => futimes(this.fd, time, time, (error) => (error ? fail(error) : done()))),
    );
  }

  /**
   * Close the descriptor once nothing uses it: `stream`, a write or read stream over it, must have
   * finished or been destroyed, and a receiver or sender must have settled.
   */
  async close(stream: Readable | Writable | null = null): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (stream?.destroyed) {
      // A destroyed fs stream closes the descriptor itself, even with autoClose: false (Node 20),
      // once a write or read in flight returned; closing it here too could close a reused number.
      if (!stream.closed) await new Promise((done) => stream.once('close', done));
      return;
    }
    // A stream that finished (autoClose: false, so never destroyed) has no call in flight.
    return this.io.call(
      () => closeSync(this.fd),
      () => new Promise((done, fail) => close(this.fd, (error) => (error ? fail(error) : done()))),
    );
  }
}

/**
 * lstat(2) of a local path (a mirror's comparison of every file it finds), inline when the policy
 * allows; errors (a missing file) reject as usual.
 */
export function lstatLocal(path: string, mode: FileIoMode): Promise<Stats> {
  return InlineFileIo.forDirectory(mode, dirname(resolve(path))).call(
    () => lstatSync(path),
    () => new Promise((done, fail) => lstat(path, (error, stats) => (error ? fail(error) : done(stats)))),
  );
}

interface OpenedFile {
  readonly fd: number;
  readonly isRegularFile: boolean;
}

async function openFile(io: InlineFileIo, path: string, flags: number): Promise<OpenedFile> {
  const inline = io.isAllowed ? io.openRegularFile(path, flags) : null;
  if (inline !== null) return { fd: inline.fd, isRegularFile: true };
  const fd = await new Promise<number>((done, fail) => open(path, flags, 0o666, (error, opened) => (error ? fail(error) : done(opened))));
  try {
    const stats = await new Promise<Stats>((done, fail) => fstat(fd, (error, result) => (error ? fail(error) : done(result))));
    return { fd, isRegularFile: stats.isFile() };
  } catch (error) {
    close(fd, () => undefined);
    throw error;
  }
}
