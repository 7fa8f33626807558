/**
 * When a file-system call may run synchronously on the event loop instead of going through libuv's
 * thread pool: the server's LocalStorage (per storage root) and the client's local files (per
 * directory a download or upload uses, see `forDirectory`).
 *
 * Why: on the benchmark VM (2 vCPUs) every thread-pool round trip costs a futex wake-up and two
 * context switches, and the copy between the page cache and a buffer then runs on the other CPU
 * than the socket side; together that was over a third of the server's CPU per 1 MiB download
 * (bench `files`: realpath, open, fstat, 4 reads, close = 8 round trips per file). Done inline, the
 * same download cost ~0.85-1.3 ms of server CPU instead of ~1.5-2.3 ms. nginx makes the same
 * choice (blocking file reads in its event loop unless `aio threads` is set), and vsftpd blocks in
 * each session's own process.
 *
 * The risk is a call that blocks: a cold disk, dirty-page throttling of writes, a network file
 * system. Two guards bound it:
 * - inline calls are used only under a root on a file system known to be local (statfs type, asked
 *   once per root; NFS, SMB, FUSE and anything unknown always use the thread pool) with nothing
 *   mounted below it;
 * - a watchdog: an inline call slower than `slowInlineCallMs` that slept in the kernel suspends
 *   inline calls for every session, for a period that doubles while calls keep being slow. The
 *   event loop therefore stalls at most once per period, for one call. A slow call during which
 *   the thread never slept was preempted, not blocked (a CPU-saturated machine: 100 busy client
 *   threads on 2 vCPUs made a call take 25-30 ms every half a minute or so of bench `files`), and
 *   does not count; where the native helper cannot tell (not Linux, not built), every slow call
 *   counts.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, statfs, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { nativeThreadSleeps } from '../native/native-addon.js';

/** 'auto': inline on local file systems, guarded by the watchdog; 'thread-pool': never inline. */
export type FileIoMode = 'auto' | 'thread-pool';

/**
 * An inline call slower than this means something blocks it: a page-cache hit takes microseconds,
 * dirty-page throttling or a hung network mount hundreds of milliseconds. Wall time also counts
 * scheduling delay, which reached 5 ms on a loaded 2-vCPU machine (100 busy client threads), so the
 * bar sits well above that; a single disk seek (≤ ~15 ms) stays under it, as in nginx's design.
 */
export const slowInlineCallMs = 25;
/** First suspension after a slow call; doubled for each further slow call, up to the maximum. */
const firstSuspensionMs = 10_000;
const maxSuspensionMs = 160_000;

/** statfs(2) f_type of the file systems where a page-cache miss is a local disk read, not a network wait. */
const localFileSystemTypes: ReadonlySet<number> = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
  0x794c7630, // overlayfs (containers)
  0x3153464a, // jfs
  0x52654973, // reiserfs
]);

/** The process-wide watchdog: one slow disk slows every session, so one suspension covers all. */
class InlineCallWatchdog {
  #suspendedUntil = 0;
  #consecutiveSlowCalls = 0;

  get isSuspended(): boolean {
    return performance.now() < this.#suspendedUntil;
  }

  /** `slept`: whether the thread slept during the call (true when that is not known). */
  record(durationMs: number, slept = true): void {
    if (durationMs <= slowInlineCallMs || !slept) {
      this.#consecutiveSlowCalls = 0;
      return;
    }
    this.#consecutiveSlowCalls++;
    const suspensionMs = Math.min(maxSuspensionMs, firstSuspensionMs * 2 ** (this.#consecutiveSlowCalls - 1));
    this.#suspendedUntil = performance.now() + suspensionMs;
  }

  /** For tests: forget every slow call. */
  reset(): void {
    this.#suspendedUntil = 0;
    this.#consecutiveSlowCalls = 0;
  }
}

const watchdog = new InlineCallWatchdog();
const threadSleeps = nativeThreadSleeps();
/** Per real root path: whether its file system is local (a promise while statfs runs). */
const rootIsLocal = new Map<string, boolean | Promise<boolean>>();
/**
 * Verdicts kept at most: a client writing into many directories (a mirror of a deep tree) adds one
 * per directory, and a long-lived process must not keep them all. Past this the cache starts over.
 */
const maxKnownRoots = 1024;

/**
 * Whether anything is mounted below `realRoot` (Linux: /proc/self/mountinfo). A mount inside the
 * tree could be a network file system that statfs of the root does not see, so such a root never
 * goes inline. Mounts added after this check are not seen; the watchdog still applies.
 */
async function hasMountsBelow(realRoot: string): Promise<boolean> {
  let table: string;
  try {
    table = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return process.platform === 'linux'; // unreadable on Linux: assume the worst; elsewhere no such table
  }
  const prefix = realRoot.endsWith('/') ? realRoot : `${realRoot}/`;
  return table.split('\n').some((line) => {
    // Field 5 is the mount point, with space, tab, newline and backslash written as octal escapes.
    const mountPoint = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    return mountPoint !== undefined && mountPoint.startsWith(prefix);
  });
}

/**
 * Whether the file system holding `realRoot` is a known local one, and (`checksMountsBelow`, for a
 * tree) nothing is mounted below it; asked once per root.
 */
function isLocalFileSystem(realRoot: string, checksMountsBelow = true): boolean | Promise<boolean> {
  const key = checksMountsBelow ? realRoot : `directory:${realRoot}`;
  const known = rootIsLocal.get(key);
  if (known !== undefined) return known;
  if (rootIsLocal.size >= maxKnownRoots) rootIsLocal.clear();
  const asking = new Promise<boolean>((resolve) => {
    statfs(realRoot, (error, stats) => resolve(!error && localFileSystemTypes.has(stats.type)));
  })
    .then(async (isLocal) => isLocal && !(checksMountsBelow && (await hasMountsBelow(realRoot))))
    .then((isLocal) => {
      rootIsLocal.set(key, isLocal);
      return isLocal;
    });
  rootIsLocal.set(key, asking);
  return asking;
}

/** One storage root's (or one directory's) view of the policy. */
export class InlineFileIo {
  /** For the tree under `realRoot` (a server's storage root): nothing may be mounted below it. */
  constructor(
    private readonly mode: FileIoMode,
    private readonly realRoot: string,
    private readonly checksMountsBelow = true,
  ) {
    if (mode === 'auto') void isLocalFileSystem(realRoot, checksMountsBelow);
  }

  /**
   * For the files directly in `directory` (the client's downloads and uploads): only its own file
   * system counts. The verdict is asked on first use and known from then on, so the first file in
   * a new directory goes through the thread pool.
   */
  static forDirectory(mode: FileIoMode, directory: string): InlineFileIo {
    return new InlineFileIo(mode, directory, false);
  }

  /** True when a call may run inline right now (checked per call: the watchdog can change it). */
  get isAllowed(): boolean {
    return this.isLocalFileSystem && !watchdog.isSuspended;
  }

  /**
   * True when the root is on a known local file system (with nothing mounted below) and fileIo is
   * 'auto', whatever the watchdog says: for work that is off the event loop but should only be
   * tried where the file system is known (splice(2) into files, see UploadTarget.receiveFrom).
   */
  get isLocalFileSystem(): boolean {
    // The verdict, or false while it is being asked (again, if the cache started over since).
    return this.mode === 'auto' && isLocalFileSystem(this.realRoot, this.checksMountsBelow) === true;
  }

  /**
   * One file-system call, inline (timed by the watchdog) while allowed, else `inPool`, its
   * thread-pool twin. Either way the answer is a promise, and an inline error rejects it.
   */
  call<T>(inline: () => T, inPool: () => Promise<T>): Promise<T> {
    if (!this.isAllowed) return inPool();
    try {
      return Promise.resolve(this.run(inline));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * open(2) inline, for a regular file only, with its fstat. O_NONBLOCK is added: opening a FIFO
   * otherwise waits for its other end, which would stop the event loop (it changes nothing for a
   * regular file). A FIFO, a device or ENXIO (a FIFO nobody reads) gives null, and the caller takes
   * its thread-pool path, which decides; any other error is thrown. Call only while `isAllowed`.
   */
  openRegularFile(path: string, flags: number): { fd: number; stats: Stats } | null {
    let fd: number;
    try {
      fd = this.run(() => openSync(path, flags | fsConstants.O_NONBLOCK, 0o666));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return null;
      throw error;
    }
    try {
      const stats = this.run(() => fstatSync(fd));
      if (stats.isFile()) return { fd, stats };
    } catch {
      // the thread-pool path decides
    }
    closeSync(fd);
    return null;
  }

  /** Run a synchronous file-system call and let the watchdog time it; errors pass through. */
  run<T>(call: () => T): T {
    const sleepsBefore = threadSleeps?.();
    const startedAt = performance.now();
    try {
      return call();
    } finally {
      const durationMs = performance.now() - startedAt;
      watchdog.record(durationMs, durationMs <= slowInlineCallMs || sleepsBefore === undefined || threadSleeps!() !== sleepsBefore);
    }
  }
}

/** For tests: whether the watchdog currently keeps every call in the thread pool. */
export function isInlineFileIoSuspended(): boolean {
  return watchdog.isSuspended;
}

/** For tests: report a call that took `durationMs`, as a slow disk would (or, not `slept`, a preempted thread). */
export function recordInlineCallForTest(durationMs: number, slept = true): void {
  watchdog.record(durationMs, slept);
}

/** For tests: forget every slow call. */
export function resetInlineFileIoWatchdog(): void {
  watchdog.reset();
}

/** For tests: the statfs verdict for a directory of files (InlineFileIo.forDirectory) once known. */
export async function isDirectoryOnLocalFileSystem(directory: string): Promise<boolean> {
  return isLocalFileSystem(directory, false);
}

/** For tests: the statfs verdict for a root once known, after waiting for it. */
export async function isRootOnLocalFileSystem(realRoot: string): Promise<boolean> {
  return isLocalFileSystem(realRoot);
}

/** For tests: how many file-system verdicts (known or being asked) are kept. */
export function knownVerdictCount(): number {
  return rootIsLocal.size;
}
