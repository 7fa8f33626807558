/** The pause before a retry: doubling from 1 s, capped at 8 s (hunt bug_ctl_drop.sh: --retries retried 3 times within ~1 s). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs, waitBeforeRetry } from '../../src/client/retry-backoff.js';

it('waits 1 s, 2 s, 4 s, then 8 s for every later retry', () => {
  const cases: [attempt: number, delayMs: number][] = [[1, 1000], [2, 2000], [3, 4000], [4, 8000], [5, 8000], [30, 8000]];
  for (const [attempt, delayMs] of cases) assert.equal(retryDelayMs(attempt), delayMs, `retry ${attempt}`);
});

it('stops waiting as soon as the signal aborts', async () => {
  const controller = new AbortController();
  const startedAt = performance.now();
  const waiting = waitBeforeRetry(60_000, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting);
  assert.ok(performance.now() - startedAt < 5000);
});
