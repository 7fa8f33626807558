/**
 * The pause before another attempt after a transient failure (CLI `--retries`, mirror retries):
 * doubling from one second, capped. Retrying at once mostly meets the same trouble (a server
 * restarting, a link flapping) and spends every attempt within a second.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The first pause. */
const firstRetryDelayMs = 1000;
/** No pause is longer than this, however many attempts came before. */
const maxRetryDelayMs = 8000;

/** The pause before retry number `attempt` (1 for the first retry): 1 s, 2 s, 4 s, 8 s, 8 s, … */
export function retryDelayMs(attempt: number): number {
  return Math.min(firstRetryDelayMs * 2 ** Math.max(0, attempt - 1), maxRetryDelayMs);
}

/** Wait `delayMs`; rejects with the signal's reason as soon as `signal` aborts. */
export async function waitBeforeRetry(delayMs: number, signal?: AbortSignal): Promise<void> {
  if (delayMs <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await sleep(delayMs, undefined, signal ? { signal } : {});
}
