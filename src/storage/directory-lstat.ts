/**
 * lstat every entry of a directory, for listings. Node has no fstatat(2) or batch stat, so a
 * listing of N entries is N lstat(2) calls, and on the benchmark VM one costs ~5 µs: 10,000
 * entries ~50 ms, about vsftpd's whole LIST.
 *
 * With the native helper (native-addon.ts) the directory is read and its names sorted in one call,
 * and the entries are stat'ed with fstatat(2) off the event loop in batches, a few at a time on
 * thread-pool threads, with no Stats objects to collect (openDirectoryInOrder; readDirectoryStats
 * reads it to the end): 10,000 entries in ~20-25 ms. Without it, two measures:
 * - Synchronous calls in batches, yielding to the event loop between them: ~50 ms for 10,000
 *   instead of ~55-270 ms through the thread pool (one round trip per entry, 16-256 in flight),
 *   while other sessions still get a turn after every batch.
 * - A big directory is split: a worker thread lstats half of the names while the event loop does
 *   the other half, so both CPUs work on it (10,000 entries: 25-28 ms instead of 50-100 ms,
 *   measured standalone). The worker is started on the first big listing, shared by all sessions,
 *   and does not keep the process alive; if it ever fails, listings go back to one thread.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { namesOfListing, nativeDirectoryReader, type NativeDirectoryReader, type NativeListingHandle } from '../native/native-addon.js';

/** The lstat fields a listing uses (a Stats has them all). */
export interface EntryStats {
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly dev: number;
  readonly ino: number;
}

/** Entries lstat'ed synchronously before yielding to the event loop (about 1 ms of work). */
const lstatBatchSize = 256;
/** From this many entries on, half of them go to the worker (below, the hand-off costs more than it saves). */
const minEntriesForWorker = 1024;
/** Numbers per entry in the worker's and the native helper's answers: mode, size, mtimeMs, dev, ino (mode -1: vanished). */
const fieldsPerEntry = 5;
/** Entries per stat request of an ordered directory: ~3 ms of stats, ~0.5 ms to render. */
const orderedBatchEntries = 1024;
/**
 * Stat requests an ordered directory keeps running (each on a thread-pool thread). Two keep both
 * CPUs on stats; the third is queued, so a pool thread never waits for the event loop (busy
 * rendering the previous batch) to ask for more.
 */
const orderedRequestsInFlight = 3;

/**
 * The worker's code, as source: a module file would need one path under tsx (tests) and another
 * in dist. It answers { id, directory, names } with { id, stats } where stats packs fieldsPerEntry
 * numbers per name.
 */
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { lstatSync } = require('node:fs');
parentPort.on('message', ({ id, prefix, names }) => {
  const stats = new Float64Array(names.length * ${fieldsPerEntry});
  for (let index = 0; index < names.length; index++) {
    let entry;
    try { entry = lstatSync(prefix + names[index], { throwIfNoEntry: false }); } catch { entry = undefined; }
    const at = index * ${fieldsPerEntry};
    if (!entry) { stats[at] = -1; continue; }
    stats[at] = entry.mode; stats[at + 1] = entry.size; stats[at + 2] = entry.mtimeMs; stats[at + 3] = entry.dev; stats[at + 4] = entry.ino;
  }
  parentPort.postMessage({ id, stats }, [stats.buffer]);
});
`;

/** The shared worker and the listings waiting for it. */
class LstatWorker {
  #worker: Worker | null = null;
  #isBroken = false;
  #nextId = 0;
  /** Requests answered so far (for tests). */
  answered = 0;
  readonly #waiting = new Map<number, { resolve(stats: Float64Array): void; reject(error: Error): void }>();

  get isUsable(): boolean {
    return !this.#isBroken;
  }

  /** lstat `names` (joined to `prefix`) on the worker; rejects if the worker fails. */
  lstat(prefix: string, names: readonly string[]): Promise<Float64Array> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      if (this.#waiting.size === 1) worker.ref(); // hold the process only while answers are due
      worker.postMessage({ id, prefix, names });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerSource, { eval: true });
    worker.unref();
    worker.on('message', ({ id, stats }: { id: number; stats: Float64Array }) => {
      this.answered++;
      this.#waiting.get(id)?.resolve(stats);
      this.#waiting.delete(id);
      if (this.#waiting.size === 0) worker.unref();
    });
    const fail = (error: Error): void => {
      this.#isBroken = true;
      this.#worker = null;
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`lstat worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}

const sharedWorker = new LstatWorker();

/**
 * lstat every name of `directory` and hand each result to `visit`, in no particular order; entries
 * that vanished or cannot be read meanwhile are skipped, as if they were never there. `stats` is
 * valid only during the call (it may be reused for the next entry): copy what you keep.
 */
export async function lstatEach(directory: string, names: readonly string[], visit: (name: string, stats: EntryStats) => void): Promise<void> {
  const prefix = directory.endsWith(path.sep) ? directory : directory + path.sep;
  if (names.length < minEntriesForWorker || !sharedWorker.isUsable) {
    await lstatBatches(prefix, names, visit);
    return;
  }
  const half = Math.floor(names.length / 2);
  const theirs = names.slice(half);
  const fromWorker = sharedWorker.lstat(prefix, theirs);
  fromWorker.catch(() => undefined); // observed below
  await lstatBatches(prefix, names.slice(0, half), visit);
  let stats: Float64Array;
  try {
    stats = await fromWorker;
  } catch {
    await lstatBatches(prefix, theirs, visit); // the worker failed: this thread does its half too
    return;
  }
  visitPacked(theirs, stats, visit);
}

/**
 * Read `directory` and lstat each entry whose name `include` accepts, handing each to `visit` (in
 * no particular order; `stats` as for lstatEach). Entries that vanish meanwhile are skipped.
 * Rejects with fs.readdir's error when the directory cannot be read.
 */
export async function readDirectoryStats(
  directory: string,
  include: (name: string) => boolean,
  visit: (name: string, stats: EntryStats) => void,
): Promise<void> {
  // Natively: the ordered listing, read to the end. Null (no addon, or the directory cannot be
  // opened): the JavaScript path, which reads it again and reports the error as fs does.
  const ordered = await openDirectoryInOrder(directory, include);
  if (ordered !== null) {
    try {
      while (await ordered.nextBatch(visit));
    } finally {
      ordered.close();
    }
    return;
  }
  const names = (await readdir(directory)).filter(include);
  await lstatEach(directory, names, visit);
}

/**
 * Hand each entry of a packed answer (fieldsPerEntry numbers per name) to `visit`, skipping
 * vanished ones. One object carries every entry's numbers in turn (a fresh one per entry was
 * 10,000 short-lived objects, each with boxed doubles, per big listing): `visit` must copy what
 * it keeps.
 */
function visitPacked(names: readonly string[], stats: Float64Array, visit: (name: string, stats: EntryStats) => void): void {
  const current = { mode: 0, size: 0, mtimeMs: 0, dev: 0, ino: 0 };
  const count = stats.length / fieldsPerEntry;
  for (let index = 0; index < count; index++) {
    const at = index * fieldsPerEntry;
    if (stats[at] === -1) continue;
    current.mode = stats[at]!;
    current.size = stats[at + 1]!;
    current.mtimeMs = stats[at + 2]!;
    current.dev = stats[at + 3]!;
    current.ino = stats[at + 4]!;
    visit(names[index]!, current);
  }
}

/** Synchronous lstat in batches of lstatBatchSize, yielding to the event loop between batches. */
async function lstatBatches(prefix: string, names: readonly string[], visit: (name: string, stats: EntryStats) => void): Promise<void> {
  for (let start = 0; start < names.length; start += lstatBatchSize) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const end = Math.min(names.length, start + lstatBatchSize);
    for (let index = start; index < end; index++) {
      const name = names[index]!;
      let stats: EntryStats | undefined;
      try {
        stats = lstatSync(prefix + name, { throwIfNoEntry: false });
      } catch {
        stats = undefined; // unreadable or replaced meanwhile: left out like a vanished entry
      }
      if (stats) visit(name, stats);
    }
  }
}

/** How many lstat requests the worker has answered (for tests). */
export function lstatWorkerAnswers(): number {
  return sharedWorker.answered;
}

/** A directory opened by openDirectoryInOrder: its entries in listing order, batch by batch. */
export interface OrderedDirectory {
  /** How many names `include` accepted (entries that vanish meanwhile are not visited). */
  readonly count: number;
  /**
   * Visit the next batch's accepted entries in listing order (`stats` as for readDirectoryStats:
   * copy what you keep); false when no batch is left, and the directory is then closed.
   */
  nextBatch(visit: (name: string, stats: EntryStats) => void): Promise<boolean>;
  /** Release the directory; idempotent. */
  close(): void;
}

/**
 * Open `directory` for a listing sent as it is read: the names are read and sorted (as JavaScript
 * compares strings) at once, and their stats are asked for in batches from the start, a few
 * running on thread-pool threads while the caller renders and sends the earlier ones (10,000
 * entries: names after ~2.5 ms, the first batch ~3 ms later). Null when the native helper is not
 * available or the directory cannot be opened: the caller then lists it with readDirectoryStats,
 * which reports the error as fs does.
 */
export async function openDirectoryInOrder(directory: string, include: (name: string) => boolean): Promise<OrderedDirectory | null> {
  const reader = nativeDirectoryReader();
  if (reader === null) return null;
  let opened: Awaited<ReturnType<NativeDirectoryReader['openListing']>>;
  try {
    opened = await reader.openListing(directory);
  } catch {
    return null;
  }
  return new NativeOrderedDirectory(reader, opened.listing, namesOfListing(opened.names), include);
}

/**
 * The native ordered listing. It does not hold the names it was opened with: each stat answer
 * brings its batch's names again. 10,000 names held while the listing is sent (~20 ms) survived
 * every scavenge meanwhile: ~560 KB promoted per listing, and scavenges of ~11 ms every third
 * listing, against names that die with their batch.
 */
class NativeOrderedDirectory implements OrderedDirectory {
  readonly count: number;
  readonly #reader: NativeDirectoryReader;
  readonly #listing: NativeListingHandle;
  /** Entries in the directory, before `include`. */
  readonly #total: number;
  readonly #include: (name: string) => boolean;
  /** Stat requests asked for and not yet visited, in order. */
  readonly #running: Promise<{ names: string; stats: Float64Array }>[] = [];
  #nextToAsk = 0;
  #isClosed = false;

  constructor(reader: NativeDirectoryReader, listing: NativeListingHandle, names: readonly string[], include: (name: string) => boolean) {
    this.#reader = reader;
    this.#listing = listing;
    this.#total = names.length;
    this.#include = include;
    this.#askForMore(); // first: the stats run while the names are counted and the data connection opens
    // Indexed: this runs once per listing, before V8 optimises it, and an iterator there allocated
    // a result object per name.
    let count = 0;
    for (let index = 0; index < names.length; index++) if (include(names[index]!)) count++;
    this.count = count;
  }

  async nextBatch(visit: (name: string, stats: EntryStats) => void): Promise<boolean> {
    const next = this.#isClosed ? undefined : this.#running.shift();
    if (next === undefined) {
      this.close();
      return false;
    }
    const { names, stats } = await next;
    this.#askForMore();
    if (stats.length === 0) return true;
    const include = this.#include;
    visitPacked(names.split('\0'), stats, (name, entry) => {
      if (include(name)) visit(name, entry);
    });
    return true;
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#running.length = 0;
    this.#reader.closeListing(this.#listing); // the native side waits for the requests still running
  }

  #askForMore(): void {
    while (!this.#isClosed && this.#running.length < orderedRequestsInFlight && this.#nextToAsk < this.#total) {
      const to = Math.min(this.#total, this.#nextToAsk + orderedBatchEntries);
      const request = this.#reader.statListing(this.#listing, this.#nextToAsk, to);
      request.catch(() => undefined); // observed in nextBatch, or dropped by close()
      this.#running.push(request);
      this.#nextToAsk = to;
    }
  }
}
