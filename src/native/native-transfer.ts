/**
 * Starting the native helper's socket transfers (receiveToFile for spliced uploads, sendFromFile
 * for sendfile downloads) the same way: within a budget of thread-pool threads, and cancelled by
 * the transfer's AbortSignal.
 *
 * Why a budget: each such transfer holds a libuv thread-pool thread for its whole duration, while
 * the pool (4 threads by default) also serves every asynchronous file-system call, listing stats
 * and password hashing; with all four held, a login would wait for a transfer to end. Beyond the
 * budget a transfer takes the JavaScript path, which moves the same bytes.
 */
import type { RunningSocketTransfer } from './native-addon.js';

const maxHeldThreads = 2;
let heldThreads = 0;

/**
 * Smallest file sent with sendfile (server downloads, client uploads). A big file is where the
 * copy through user space shows (see native/send_from_file.c). For the bench's 100 sessions of
 * 1 MiB downloads, a 1 MiB threshold measured no better (pair runs with vsftpd: 0.79× vs 0.90× at
 * this size; alternated runs of Ferry alone overlapped), and with two transfers at a time most of
 * them would take the JavaScript path anyway.
 */
export const minSendfileBytes = 8 * 1024 * 1024;

/** For tests: native transfers running right now (each holds a pool thread). */
export function nativeTransfersRunning(): number {
  return heldThreads;
}

/**
 * Start a native transfer with `start`, or answer null when the budget is spent or it would not
 * start (the descriptor is not a socket, …): the caller then takes the JavaScript path. The
 * signal cancels it; `done` settles as the native one does, once its thread counts as free again.
 */
export function startNativeTransfer(start: () => RunningSocketTransfer, signal: AbortSignal): RunningSocketTransfer | null {
  if (heldThreads >= maxHeldThreads) return null;
  let running: RunningSocketTransfer;
  try {
    running = start();
  } catch {
    return null;
  }
  heldThreads++;
  const cancel = (): void => running.cancel();
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  const done = running.done.finally(() => {
    heldThreads--;
    signal.removeEventListener('abort', cancel);
  });
  return { done, cancel, bytes: () => running.bytes() };
}
