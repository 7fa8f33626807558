/**
 * The Storage contract: every back-end (local disk, memory, later S3) offers these operations on
 * virtual paths and reports failures as StorageError with a closed set of kinds. The server maps
 * kinds to replies in one table (server/errors.ts); back-ends never produce FTP replies.
 */
import type { Readable, Writable } from 'node:stream';
import type { DescriptorTransfer } from '../file-io/send-through-descriptor.js';
import type { VirtualPath } from '../protocol/virtual-path.js';
import type { FileEntry } from '../protocol/listing/file-entry.js';

/** Metadata of one file or directory. */
export interface FileStat extends FileEntry {}

/** A directory's entries in listing order, from Storage.listInOrder. */
export interface OrderedListing {
  /** Entries the listing has (one that vanishes while it is read is left out of the batches). */
  readonly count: number;
  /** The entries, sorted by name, batch after batch; read them once. */
  readonly batches: AsyncIterable<readonly FileStat[]>;
  /** Release what the listing holds without reading (the rest of) the batches; idempotent. */
  close(): void;
}

/** The closed set of storage failure kinds. */
export type StorageErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'not-a-directory'
  | 'is-a-directory'
  | 'directory-not-empty'
  | 'permission-denied'
  | 'no-space'
  | 'quota-exceeded'
  | 'invalid-name'
  | 'busy'
  | 'io-error';

/**
 * A storage failure. `message` is safe to show a client (no real paths, no OS text); the OS error,
 * if any, rides along as `cause` for the log.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code = 'ERR_FTP_STORAGE';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The client-safe message for each kind: plain words, never a path or an OS error string. */
export const storageErrorMessages: Readonly<Record<StorageErrorKind, string>> = {
  'not-found': 'No such file or directory',
  'already-exists': 'File exists',
  'not-a-directory': 'Not a directory',
  'is-a-directory': 'Is a directory',
  'directory-not-empty': 'Directory not empty',
  'permission-denied': 'Permission denied',
  'no-space': 'No space left on device',
  'quota-exceeded': 'Disk quota exceeded',
  'invalid-name': 'Invalid file name',
  busy: 'Resource busy',
  'io-error': 'Input/output error',
};

/** A StorageError of this kind with its standard client-safe message; `cause` (if any) is for the log. */
export function createStorageError(kind: StorageErrorKind, cause?: unknown): StorageError {
  return new StorageError(kind, storageErrorMessages[kind], cause === undefined ? undefined : { cause });
}

/** Options for opening a file for reading. */
export interface ReadOptions {
  /** Byte offset to start at (REST). */
  start?: number;
}

/** Options for opening a file for writing. */
export interface WriteOptions {
  /** 'truncate' (STOR), 'append' (APPE), or a byte offset to write from (REST + STOR). */
  mode: 'truncate' | 'append' | { offset: number };
  /** When true, the file must not exist yet (STOU). */
  isExclusive?: boolean;
}

/**
 * A writable upload target. The upload counts as complete only after `stream` has finished
 * ('finish' after all data was flushed to the back-end), so the server replies 226 only then.
 */
export interface UploadTarget {
  readonly stream: Writable;
  /**
   * Optional fast path for a writer that reuses its buffer: either write all of `data` before
   * returning and answer true, or write nothing and answer false (the writer then gives `stream` a
   * copy). Bytes stay in order: once the stream holds data, this answers false until it drained.
   * Throws a StorageError when the write fails (no space, …).
   */
  writeNow?(data: Uint8Array): boolean;
  /**
   * Optional zero-copy path: move everything the connected TCP socket with descriptor `socketFd`
   * delivers into the file until the socket's EOF, off the event loop (LocalStorage on Linux:
   * splice(2)). The caller guarantees that nothing else reads the socket meanwhile. Answers null,
   * having done nothing, when that is not possible now; the caller then uses writeNow or `stream`.
   * `done`: after the signal aborts, the bytes already received are written and it ends
   * "cancelled"; "stalled" when nothing arrived for stallTimeoutMs (0: never). Rejects with a
   * StorageError for a file failure (no space, …), with the socket's error (code ECONNRESET, …)
   * otherwise. Either way `stream` must then be ended or destroyed as usual (that closes the file).
   */
  receiveFrom?(socketFd: number, options: { signal: AbortSignal; stallTimeoutMs: number }): ReceivingUpload | null;
}

/** A running UploadTarget.receiveFrom: `bytes()` counts what is in the file. */
export type ReceivingUpload = DescriptorTransfer;

/** A running DownloadSource.sendToSocket: `bytes()` counts what the socket took. */
export type SendingDownload = DescriptorTransfer;

/**
 * An opened file for reading. The size comes from the same open (fstat of the descriptor), so a
 * download needs no separate stat and its announced size belongs to the file actually sent.
 */
export interface DownloadSource {
  /** The whole file's size in bytes when it was opened (not reduced by the start offset). */
  readonly size: number;
  /** The bytes from the start offset. Use this, sendToSocket, sendTo, or discard: exactly one of them, once. */
  readonly stream: Readable;
  /**
   * Optional zero-copy path: send the bytes from the start offset into the connected TCP socket
   * with descriptor `socketFd`, without the event loop's help (LocalStorage on Linux: sendfile(2),
   * mostly from the native helper's sender thread). The caller guarantees that nothing else writes the socket meanwhile, and ends it
   * afterwards. Answers null, having done nothing, when that is not possible now; the caller then
   * uses another way. `done` resolves "end" once everything was sent (fewer bytes if the file
   * shrank meanwhile), "cancelled" soon after the signal aborts, "stalled" when the socket took
   * nothing for stallTimeoutMs (0: never); it rejects with the failure (error.code ECONNRESET, EIO,
   * …). The source is released once `done` settles.
   */
  sendToSocket?(socketFd: number, options: { signal: AbortSignal; stallTimeoutMs: number }): SendingDownload | null;
  /**
   * Optional fast path for a download that needs no transformation: write the bytes into
   * `destination`, end it, and resolve when it finished; reject on its error or close, or on the
   * signal. The source is released either way.
   */
  sendTo?(destination: Writable, signal: AbortSignal): Promise<void>;
  /** Release the source unread (the transfer never started). */
  discard(): void;
}

/** A storage back-end rooted at one account's home; all paths are virtual and absolute. */
export interface Storage {
  /** Metadata for a path; StorageError('not-found') when missing. */
  stat(path: VirtualPath): Promise<FileStat>;
  /** Entries of a directory, unsorted; StorageError('not-a-directory') for a file. */
  list(path: VirtualPath): Promise<FileStat[]>;
  /**
   * Optional: a directory's entries sorted by name (as JavaScript compares strings), in batches, so
   * that a listing is sent while the rest is still being read. `include` picks names before
   * anything else about them is read (hidden files). Errors as list(). Storages without it are
   * listed with list() and sorted.
   */
  listInOrder?(path: VirtualPath, include: (name: string) => boolean): Promise<OrderedListing>;
  /** Stream a file's bytes from an offset; StorageError('is-a-directory') for a directory. */
  openRead(path: VirtualPath, options?: ReadOptions): Promise<DownloadSource>;
  /**
   * Open a file for writing. The parent directory must exist. One writer per file: while an upload
   * that writes the file in place has it open (until its stream finished or was destroyed), another
   * openWrite of that file, by whatever path, fails with StorageError('busy') and changes nothing.
   * Readers are not refused. (An atomic back-end's truncating upload writes elsewhere and may skip it.)
   */
  openWrite(path: VirtualPath, options: WriteOptions): Promise<UploadTarget>;
  /** Remove a file (not a directory). */
  deleteFile(path: VirtualPath): Promise<void>;
  /** Create one directory; the parent must exist. */
  makeDirectory(path: VirtualPath): Promise<void>;
  /** Remove an empty directory. */
  removeDirectory(path: VirtualPath): Promise<void>;
  /** Rename or move a file or directory. */
  rename(from: VirtualPath, to: VirtualPath): Promise<void>;
  /** Set the modification time (MFMT). */
  setModificationTime(path: VirtualPath, modifiedAt: Date): Promise<void>;
  /** Change permission bits (SITE CHMOD); back-ends without modes may refuse with permission-denied. */
  changeMode(path: VirtualPath, mode: number): Promise<void>;
}
