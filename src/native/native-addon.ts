/**
 * The optional native helper (native/, built by node-gyp at install):
 * - openListing/statListing/closeListing: a directory's names read and sorted at once, their
 *   lstat numbers (fstatat(2) on thread-pool threads) in ranges asked for later, so a listing is
 *   sent while the directory is still being stat'ed;
 * - receiveToFile (Linux): move an upload from a socket into a file with splice(2), off the event
 *   loop and without copying it through user space (STOR).
 * - sendFromFile (Linux): send a file into a socket with sendfile(2), without copying it through
 *   user space, and what the socket does not take at once from the helper's sender thread (the
 *   server's RETR, the client's big uploads).
 * - pendingSocketError: a socket's unreported error (SO_ERROR), for a reset libuv reported as an
 *   end of stream (server/data/reset-at-end.ts).
 * - threadSleeps (Linux): how often the calling thread slept, which tells the inline file-call
 *   watchdog a blocking call from a preempted one (file-io/inline-file-io.ts).
 * - listenTcp/acceptPending (Linux): a passive data port and its connection as bare descriptors,
 *   so a download sent with sendFromFile needs no net.Server or net.Socket (server/data/).
 * When it was not built (no compiler, Windows) or FERRY_NATIVE=0 is set, the accessors answer null
 * and Ferry does the same work from JavaScript.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the addon exports. */
export interface NativeDirectoryReader {
  /** Numbers per entry in `stats`: mode (-1: could not be stat'ed), size, mtimeMs, dev, ino. */
  readonly fieldsPerEntry: number;
  /**
   * Open `directory` for an ordered listing: its names (without "." and ".."), sorted as JavaScript
   * compares strings, joined with "\0" in strings of whole names (namesOfListing splits them), and
   * a handle for statListing; rejects (error.code "ENOENT", "EACCES", ...) when the directory
   * cannot be opened or read.
   */
  openListing(directory: string): Promise<{ count: number; names: readonly string[]; listing: NativeListingHandle }>;
  /**
   * The sorted entries from..to-1: their names joined with "\0" and their lstat numbers
   * (fieldsPerEntry each); rejects after closeListing.
   */
  statListing(listing: NativeListingHandle, from: number, to: number): Promise<{ names: string; stats: Float64Array }>;
  /** Close the directory (once no statListing runs); idempotent. */
  closeListing(listing: NativeListingHandle): void;
}

/**
 * The names of openListing's answer, in order. They come in several strings because V8 keeps a
 * string of 128 KiB or more in its large-object space, whose fresh pages made one string of
 * 10,000 names cost ~0.9 ms.
 */
export function namesOfListing(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const [first, ...rest] = names.map((joined) => joined.split('\0'));
  return first!.concat(...rest); // concat copies arrays whole; flatMap took ~4x as long here
}

/** An open directory of openListing (opaque). */
export interface NativeListingHandle {
  readonly __nativeListing: unique symbol;
}

/** How a native socket transfer's `done` settles when it does not reject (receiveToFile, sendFromFile). */
export interface SocketTransferResult {
  readonly bytes: number;
  /**
   * "end": the socket's EOF (receive) or every byte sent (send); "cancelled": after cancel();
   * "stalled": nothing moved for the stall timeout.
   */
  readonly ending: 'end' | 'cancelled' | 'stalled';
}

/** One running receiveToFile or sendFromFile (native/socket_transfer.c). */
export interface RunningSocketTransfer {
  /** Rejects with error.code (errno name), error.side ("socket" | "file" | "pipe") and error.bytes. */
  readonly done: Promise<SocketTransferResult>;
  /** Stop: a receive once the bytes already received are written, a send at its next chunk; `done` then ends "cancelled". */
  cancel(): void;
  /** Bytes moved so far. */
  bytes(): number;
}

/** The splice receiver (see native/receive_to_file.c). */
export interface NativeSocketReceiver {
  receiveToFile(socketFd: number, fileFd: number, position: number, stallTimeoutMs: number): RunningSocketTransfer;
}

/** The sendfile sender (see native/send_from_file.c). */
export interface NativeFileSender {
  /**
   * `firstBytes` (default 0): how much may be sent at once on the calling thread, the rest being
   * sent by the helper's sender thread; a file read from disk would block the caller meanwhile.
   */
  sendFromFile(socketFd: number, fileFd: number, position: number, length: number, stallTimeoutMs: number, firstBytes?: number): RunningSocketTransfer;
}

/** Passive data ports as bare descriptors (see native/passive_socket.c). */
export interface NativePassiveSockets {
  /** Bind and listen on `address` (an IP literal), `port` (0: any); answers [fd, port]; throws error.code. */
  listenTcp(address: string, port: number, backlog: number): [number, number];
  /** The connection waiting on `listenFd` as [fd, peer address], or null when none is; throws error.code. */
  acceptPending(listenFd: number): [number, string] | null;
}

const addonFile = path.join('build', 'Release', 'ferry_native.node');

/** The package root: the nearest folder above this module holding binding.gyp (from src/storage or dist/src/storage). */
function packageRoot(): string | null {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(path.join(folder, 'binding.gyp'))) return folder;
    folder = path.dirname(folder);
  }
  return null;
}

/** listingVersion: 2 since openListing answers names in several strings and statListing names with stats. */
type Addon = NativeDirectoryReader &
  Partial<NativeSocketReceiver> &
  Partial<NativeFileSender> &
  Partial<NativePassiveSockets> & { readonly listingVersion?: number; readonly pendingSocketError?: PendingSocketErrorReader; readonly threadSleeps?: ThreadSleepCounter };

function load(): Addon | null {
  if (process.env['FERRY_NATIVE'] === '0') return null;
  const root = packageRoot();
  if (root === null || !existsSync(path.join(root, addonFile))) return null;
  try {
    const addon = createRequire(import.meta.url)(path.join(root, addonFile)) as Addon;
    const isComplete = typeof addon.openListing === 'function' && addon.fieldsPerEntry === 5 && addon.listingVersion === 2;
    return isComplete ? addon : null; // an addon built from older sources: npm run build:native
  } catch {
    return null; // built for another Node ABI or platform: the JavaScript path serves
  }
}

const loaded = load();
let enabled = true;

/** The native helper, or null when it is not available (or turned off for a test). */
export function nativeDirectoryReader(): NativeDirectoryReader | null {
  return enabled ? loaded : null;
}

/** Whether the addon was built and loads (whatever a test turned off). */
export function isNativeDirectoryReaderBuilt(): boolean {
  return loaded !== null;
}

/** Tests: list directories with or without the native helper. */
export function setNativeDirectoryReaderEnabledForTest(value: boolean): void {
  enabled = value;
}

let isReceiverEnabled = true;

/** The splice receiver, or null when it is not available (not Linux, not built, or turned off for a test). */
export function nativeSocketReceiver(): NativeSocketReceiver | null {
  return isReceiverEnabled && typeof loaded?.receiveToFile === 'function' ? (loaded as NativeSocketReceiver) : null;
}

/** Tests: receive uploads with or without the splice receiver. */
export function setNativeSocketReceiverEnabledForTest(value: boolean): void {
  isReceiverEnabled = value;
}

let isSenderEnabled = true;

/** The sendfile sender, or null when it is not available (not Linux, not built, or turned off for a test). */
export function nativeFileSender(): NativeFileSender | null {
  return isSenderEnabled && typeof loaded?.sendFromFile === 'function' ? (loaded as NativeFileSender) : null;
}

/** Tests: send downloads with or without the sendfile sender. */
export function setNativeFileSenderEnabledForTest(value: boolean): void {
  isSenderEnabled = value;
}

let arePassiveSocketsEnabled = true;

/** Bare passive descriptors, or null when not available (not Linux, not built, or turned off for a test). */
export function nativePassiveSockets(): NativePassiveSockets | null {
  return arePassiveSocketsEnabled && typeof loaded?.acceptPending === 'function' ? (loaded as NativePassiveSockets) : null;
}

/** Tests: make passive ports with Node's net.Server only, or with the helper's descriptors where it can. */
export function setNativePassiveSocketsEnabledForTest(value: boolean): void {
  arePassiveSocketsEnabled = value;
}

/** A socket's error not reported yet (SO_ERROR) as an errno name, or null; see native/socket_error.c. */
export type PendingSocketErrorReader = (socketFd: number) => string | null;

/** The SO_ERROR reader, or null when the helper is not available. */
export function nativePendingSocketError(): PendingSocketErrorReader | null {
  const reader = loaded?.pendingSocketError;
  return typeof reader === 'function' ? reader : null;
}

/** The calling thread's voluntary context switches so far (getrusage RUSAGE_THREAD); see native/thread_sleeps.c. */
export type ThreadSleepCounter = () => number | undefined;

/** The sleep counter, or null when the helper is not available (not Linux, not built). */
export function nativeThreadSleeps(): ThreadSleepCounter | null {
  const counter = loaded?.threadSleeps;
  return typeof counter === 'function' ? counter : null;
}
