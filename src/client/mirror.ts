/**
 * Mirror a directory tree in either direction with N parallel connections (FtpClient does one
 * request at a time, so parallelism means more clients). A file is skipped when the target
 * already has the same size and the same modification time to the second; after each copy the
 * target's time is set to the source's (locally on the open file, remotely with MFMT when offered).
 * When the server cannot set times (no MFMT), an upload is skipped if the remote copy has the
 * same size and is not older than the local file.
 * SECURITY: every remote name becomes a local path only after `assertSafeName`; an unsafe name is
 * refused and reported, and local symbolic links are never written through.
 */
import { mkdir, readdir } from 'node:fs/promises';
import type { FileIoMode } from '../file-io/inline-file-io.js';
import { lstatLocal } from './local-file.js';
import { join, relative, resolve, sep } from 'node:path';
import type { FileEntry } from '../protocol/listing/file-entry.js';
import type { FtpClient } from './ftp-client.js';
import type { TransferProgress } from './transfer.js';
import { assertSafeName } from './safe-name.js';
import { joinRemotePath } from './remote-path.js';
import { VisitedDirectories } from './visited-directories.js';
import { retryDelayMs, waitBeforeRetry } from './retry-backoff.js';
import {
  FtpAbortError,
  FtpConnectionClosedError,
  FtpDataConnectionError,
  FtpReplyError,
  FtpTimeoutError,
  FtpUnsafeNameError,
} from './errors.js';
import { ReplyCode } from '../protocol/reply-code.js';

/** How to run a mirror. */
export interface MirrorOptions {
  /** Opens a connected, logged-in client. Called once per worker; the mirror closes what it opened. */
  readonly connect: () => Promise<FtpClient>;
  /** Files transferred at the same time, each on its own connection (default 1). */
  readonly parallel?: number;
  /** Extra attempts per file after a transient failure (4xx, timeout, lost connection); resumes. */
  readonly retries?: number;
  /** The pause before retry number `attempt` (default retry-backoff.ts: 1 s, 2 s, 4 s, … capped). */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: MirrorEvent) => void;
  /** Local file-system calls of the walk: 'auto' (default) inline where allowed, as FtpClientOptions.fileIo. */
  readonly fileIo?: FileIoMode;
}

/** Progress of a mirror, for display. Paths are relative to the mirrored directories, with "/". */
export type MirrorEvent =
  | { readonly kind: 'planned'; readonly files: number; readonly totalBytes: number; readonly skippedFiles: number }
  | { readonly kind: 'file-start'; readonly path: string; readonly totalBytes: number }
  | { readonly kind: 'file-progress'; readonly path: string; readonly progress: TransferProgress }
  | { readonly kind: 'file-done'; readonly path: string; readonly transferredBytes: number }
  | { readonly kind: 'file-skipped'; readonly path: string; readonly reason: SkipReason; readonly sameAs?: string }
  | { readonly kind: 'file-retry'; readonly path: string; readonly attempt: number; readonly delayMs: number; readonly error: Error }
  | { readonly kind: 'file-failed'; readonly path: string; readonly error: Error }
  | { readonly kind: 'name-refused'; readonly directory: string; readonly error: FtpUnsafeNameError };

/**
 * Why an entry was not copied: the target already matches; not a file or directory; or a remote
 * directory already entered in this walk (same RFC 3659 `unique`: a link or loop, see
 * visited-directories.ts), named in the event's `sameAs`.
 */
export type SkipReason = 'identical' | 'not a regular file' | 'directory already visited';

/** What a mirror did. It resolves even when some files failed; check `failures` and `refusedNames`. */
export interface MirrorSummary {
  readonly transferredFiles: number;
  readonly skippedFiles: number;
  readonly transferredBytes: number;
  readonly failures: readonly { readonly path: string; readonly error: Error }[];
  /** Names from the server that were refused as unsafe (see safe-name.ts). */
  readonly refusedNames: readonly string[];
}

interface FileTask {
  /** Relative path with "/" separators, for events. */
  readonly path: string;
  readonly remotePath: string;
  readonly localPath: string;
  readonly size: number;
  /** The source's modification time, applied to the target after the copy. */
  readonly modifiedAt: Date | undefined;
}

/** Download the tree under `remoteDirectory` into `localDirectory` (created if missing). */
export async function mirrorDownload(remoteDirectory: string, localDirectory: string, options: MirrorOptions): Promise<MirrorSummary> {
  const localRoot = resolve(localDirectory);
  const fileIo = options.fileIo ?? 'auto';
  return runMirror(options, async (walker, plan) => {
    await mkdir(localRoot, { recursive: true });
    const hasMlsd = walker.features.has('MLST');
    const hasMdtm = walker.features.has('MDTM');
    const visited = new VisitedDirectories();
    const root = await walker.stat(remoteDirectory).catch(() => null);
    visited.enter(root?.uniqueId, '.');
    const walk = async (remoteDir: string, localDir: string, relativeDir: string): Promise<void> => {
      const entries = await walker.list(remoteDir, { signal: options.signal });
      // One readdir instead of an lstat per remote name: most names of a first mirror are new here.
      const localNames = new Set(await readdir(localDir).catch(() => []));
      for (const entry of entries) {
        const name = plan.checkName(entry, relativeDir || '.');
        if (name === null) continue;
        const remotePath = joinRemotePath(remoteDir, name);
        const localPath = join(localDir, name);
        const path = relativeDir ? `${relativeDir}/${name}` : name;
        assertInside(localRoot, localPath);
        const local = localNames.has(name) ? await lstatLocal(localPath, fileIo).catch(() => null) : null;
        if (local?.isSymbolicLink()) {
          plan.fail(path, new FtpUnsafeNameError(name, 'the local path is a symbolic link; refusing to write through it'));
          continue;
        }
        if (entry.type === 'directory') {
          // A loop (`d/up -> ..`) would otherwise be copied until the local path got too long.
          const sameAs = visited.enter(entry.uniqueId, path);
          if (sameAs !== null) {
            plan.skip(path, 'directory already visited', sameAs);
            continue;
          }
          if (!local) await mkdir(localPath);
          await walk(remotePath, localPath, path);
        } else if (entry.type === 'file') {
          // LIST times are to the minute at best; MDTM (RFC 3659 §3) is exact and in UTC.
          const modifiedAt = hasMlsd ? entry.modifiedAt : hasMdtm ? await walker.lastModified(remotePath).catch(() => entry.modifiedAt) : entry.modifiedAt;
          const isIdentical = local?.isFile() === true && local.size === entry.size && modifiedAt !== undefined && sameSecond(local.mtime, modifiedAt);
          if (isIdentical) plan.skip(path);
          else plan.add({ path, remotePath, localPath, size: entry.size, modifiedAt });
        } else {
          plan.skip(path, 'not a regular file');
        }
      }
    };
    await walk(remoteDirectory, localRoot, '');
    return async (client, task, attempt) => {
      const result = await client
        .download(task.remotePath, task.localPath, {
          resume: attempt > 0,
          // The listing's size spares a SIZE per file; a retry asks afresh (the file may have changed).
          ...(attempt === 0 ? { knownSize: task.size } : {}),
          ...(task.modifiedAt ? { modifiedAt: task.modifiedAt } : {}),
          // The walk's lstat saw no link here, but one may have been put there since.
          refusesSymlink: true,
          signal: options.signal,
          onProgress: (progress) => plan.progress(task.path, progress),
        })
        .catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
          throw new FtpUnsafeNameError(task.path, 'the local path is a symbolic link; refusing to write through it');
        });
      return result.transferredBytes;
    };
  });
}

/** Upload the tree under `localDirectory` into `remoteDirectory` (created if missing). */
export async function mirrorUpload(localDirectory: string, remoteDirectory: string, options: MirrorOptions): Promise<MirrorSummary> {
  const localRoot = resolve(localDirectory);
  const fileIo = options.fileIo ?? 'auto';
  return runMirror(options, async (walker, plan) => {
    const hasMlsd = walker.features.has('MLST');
    const hasMdtm = walker.features.has('MDTM');
    const canSetTimes = walker.features.has('MFMT');
    await walker.mkdir(remoteDirectory, { recursive: true });
    const walk = async (localDir: string, remoteDir: string, relativeDir: string): Promise<void> => {
      const remoteEntries = new Map<string, FileEntry>();
      for (const entry of await walker.list(remoteDir, { signal: options.signal })) remoteEntries.set(entry.name, entry);
      for (const dirent of await readdir(localDir, { withFileTypes: true })) {
        const name = dirent.name;
        const localPath = join(localDir, name);
        const remotePath = joinRemotePath(remoteDir, name);
        const path = relativeDir ? `${relativeDir}/${name}` : name;
        const remote = remoteEntries.get(name);
        if (dirent.isDirectory()) {
          if (remote?.type !== 'directory') await walker.mkdir(remotePath);
          await walk(localPath, remotePath, path);
        } else if (dirent.isFile()) {
          const local = await lstatLocal(localPath, fileIo);
          let isIdentical = false;
          if (remote?.type === 'file' && remote.size === local.size) {
            const remoteTime = hasMlsd ? remote.modifiedAt : hasMdtm ? await walker.lastModified(remotePath).catch(() => undefined) : undefined;
            if (remoteTime) isIdentical = canSetTimes ? sameSecond(remoteTime, local.mtime) : Math.floor(remoteTime.getTime() / 1000) >= Math.floor(local.mtimeMs / 1000);
          }
          if (isIdentical) plan.skip(path);
          else plan.add({ path, remotePath, localPath, size: local.size, modifiedAt: local.mtime });
        } else {
          plan.skip(path, 'not a regular file');
        }
      }
    };
    await walk(localRoot, remoteDirectory, '');
    return async (client, task, attempt) => {
      const result = await client.upload(task.localPath, task.remotePath, {
        resume: attempt > 0,
        signal: options.signal,
        onProgress: (progress) => plan.progress(task.path, progress),
      });
      if (canSetTimes && task.modifiedAt) await client.setLastModified(task.remotePath, task.modifiedAt);
      return result.transferredBytes;
    };
  });
}

interface MirrorPlan {
  add(task: FileTask): void;
  skip(path: string, reason?: SkipReason, sameAs?: string): void;
  fail(path: string, error: Error): void;
  /** Returns the name if safe, else records the refusal and returns null. */
  checkName(entry: FileEntry, directory: string): string | null;
  progress(path: string, progress: TransferProgress): void;
}

type CopyFile = (client: FtpClient, task: FileTask, attempt: number) => Promise<number>;

async function runMirror(options: MirrorOptions, prepare: (walker: FtpClient, plan: MirrorPlan) => Promise<CopyFile>): Promise<MirrorSummary> {
  const emit = options.onEvent ?? (() => undefined);
  const tasks: FileTask[] = [];
  const failures: { path: string; error: Error }[] = [];
  const refusedNames: string[] = [];
  let skippedFiles = 0;
  let transferredFiles = 0;
  let transferredBytes = 0;
  const plan: MirrorPlan = {
    add: (task) => tasks.push(task),
    skip: (path, reason = 'identical', sameAs) => {
      skippedFiles++;
      emit({ kind: 'file-skipped', path, reason, ...(sameAs !== undefined ? { sameAs } : {}) });
    },
    fail: (path, error) => {
      failures.push({ path, error });
      emit({ kind: 'file-failed', path, error });
    },
    checkName: (entry, directory) => {
      try {
        return assertSafeName(entry.name);
      } catch (error) {
        if (!(error instanceof FtpUnsafeNameError)) throw error;
        refusedNames.push(entry.name);
        emit({ kind: 'name-refused', directory, error });
        return null;
      }
    },
    progress: (path, progress) => emit({ kind: 'file-progress', path, progress }),
  };

  const clients: FtpClient[] = [];
  try {
    const walker = await options.connect();
    clients.push(walker);
    const copy = await prepare(walker, plan);
    emit({ kind: 'planned', files: tasks.length, totalBytes: tasks.reduce((sum, task) => sum + task.size, 0), skippedFiles });
    const queue = [...tasks];
    const workerCount = Math.max(1, Math.min(options.parallel ?? 1, queue.length));
    const work = async (index: number): Promise<void> => {
      let client = index === 0 ? walker : null;
      for (let task = queue.shift(); task; task = queue.shift()) {
        if (options.signal?.aborted) throw new FtpAbortError('mirror aborted');
        emit({ kind: 'file-start', path: task.path, totalBytes: task.size });
        for (let attempt = 0; ; attempt++) {
          try {
            if (!client || !client.isConnected) {
              client = await options.connect();
              clients.push(client);
            }
            const bytes = await copy(client, task, attempt);
            transferredFiles++;
            transferredBytes += bytes;
            emit({ kind: 'file-done', path: task.path, transferredBytes: bytes });
            break;
          } catch (error) {
            // Aborted, or the mirror closed this client (another worker failed): stop, take no next task.
            if (error instanceof FtpAbortError || (error instanceof FtpConnectionClosedError && error.isClosedByCaller)) throw error;
            const reason = error instanceof Error ? error : new Error(String(error));
            if (attempt < (options.retries ?? 0) && isTransient(reason)) {
              const delayMs = (options.retryDelayMs ?? retryDelayMs)(attempt + 1);
              emit({ kind: 'file-retry', path: task.path, attempt: attempt + 1, delayMs, error: reason });
              await waitBeforeRetry(delayMs, options.signal).catch(() => {
                throw new FtpAbortError('mirror aborted');
              });
              continue;
            }
            plan.fail(task.path, reason);
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: workerCount }, (_, index) => work(index)));
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  return { transferredFiles, skippedFiles, transferredBytes, failures, refusedNames };
}

/**
 * Failures worth another attempt: 4xx replies (RFC 959 §4.2 "transient") and connection trouble,
 * except a connection the caller closed itself.
 */
export function isTransient(error: Error): boolean {
  if (error instanceof FtpReplyError) return error.isTransient || error.replyCode === ReplyCode.ServiceNotAvailable;
  if (error instanceof FtpConnectionClosedError) return !error.isClosedByCaller;
  return error instanceof FtpTimeoutError || error instanceof FtpDataConnectionError;
}

function sameSecond(a: Date, b: Date): boolean {
  return Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}

/** Defence in depth behind assertSafeName: the joined path must stay under the mirror root. */
function assertInside(root: string, path: string): void {
  const rel = relative(root, resolve(path));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(rel) === rel) {
    throw new FtpUnsafeNameError(path, 'resolves outside the mirror directory');
  }
}
