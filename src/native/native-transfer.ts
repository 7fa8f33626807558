/**
 * Starting the native helper's socket transfers, each cancelled by its transfer's AbortSignal:
 * receiveToFile (spliced uploads) within a budget of thread-pool threads, sendFromFile (sendfile
 * downloads and client uploads) on the helper's sender thread, which needs none.
 *
 * Why a budget for receives: each one holds a libuv thread-pool thread for its whole duration,
 * while the pool (4 threads by default) also serves every asynchronous file-system call, listing
 * stats and password hashing; with all four held, a login would wait for a transfer to end.
 * Beyond the budget an upload takes the JavaScript path, which moves the same bytes. Sends do not
 * count: one thread of the helper's own serves them all (native/send_from_file.c).
 */
import type { RunningSocketTransfer } from './native-addon.js';

const maxHeldThreads = 2;
let heldThreads = 0;
let running = 0;

/**
 * Smallest file the client uploads with sendfile. The client moves one file at a time, so the
 * gain is CPU per byte, which shows on big files (see native/send_from_file.c). The server's
 * downloads have no minimum: many small ones at once gain most from leaving the event loop.
 */
export const minSendfileUploadBytes = 8 * 1024 * 1024;

/** For tests: native transfers running right now, of both kinds. */
export function nativeTransfersRunning(): number {
  return running;
}

/** For tests: receives holding a thread-pool thread right now. */
export function poolThreadsHeld(): number {
  return heldThreads;
}

/**
 * Start a receive with `start` on a thread-pool thread, or answer null when the budget is spent or
 * it would not start (the descriptor is not a socket, …): the caller then takes the JavaScript
 * path. The signal cancels it; `done` settles as the native one does, once its thread counts as
 * free again.
 */
export function startPoolTransfer(start: () => RunningSocketTransfer, signal: AbortSignal): RunningSocketTransfer | null {
  if (heldThreads >= maxHeldThreads) return null;
  const transfer = startCancellable(start, signal, () => heldThreads--);
  if (transfer !== null) heldThreads++;
  return transfer;
}

/** Start a send with `start` (on the sender thread), or answer null when it would not start. */
export function startSenderTransfer(start: () => RunningSocketTransfer, signal: AbortSignal): RunningSocketTransfer | null {
  return startCancellable(start, signal, () => undefined);
}

function startCancellable(start: () => RunningSocketTransfer, signal: AbortSignal, onSettled: () => void): RunningSocketTransfer | null {
  let transfer: RunningSocketTransfer;
  try {
    transfer = start();
  } catch {
    return null;
  }
  running++;
  const cancel = (): void => transfer.cancel();
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  const done = transfer.done.finally(() => {
    running--;
    onSettled();
    signal.removeEventListener('abort', cancel);
  });
  return { done, cancel, bytes: () => transfer.bytes() };
}
