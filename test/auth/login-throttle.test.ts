import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

function makeThrottle(overrides: Partial<ConstructorParameters<typeof LoginThrottle>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const throttle = new LoginThrottle({
    baseDelayMs: 1000,
    maxDelayMs: 10_000,
    banAfterFailures: 5,
    banDurationMs: 60_000,
    now: () => clock.now,
    ...overrides,
  });
  return { throttle, clock };
}

describe('LoginThrottle', () => {
  it('adds no delay for an address without failures', () => {
    const { throttle } = makeThrottle();
    assert.equal(throttle.failureDelayMs('192.0.2.1'), 0);
  });

  it('doubles the delay with each consecutive failure from one address, up to the cap', () => {
    const { throttle } = makeThrottle({ banAfterFailures: 0 });
    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      throttle.recordFailure('192.0.2.1', `user${attempt}`);
      delays.push(throttle.failureDelayMs('192.0.2.1'));
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    assert.equal(throttle.failureDelayMs('192.0.2.2'), 0, 'other addresses are unaffected');
  });

  it('resets the address after a successful login', () => {
    const { throttle } = makeThrottle();
    throttle.recordFailure('192.0.2.1', 'alice');
    throttle.recordFailure('192.0.2.1', 'alice');
    throttle.recordSuccess('192.0.2.1', 'alice');
    assert.equal(throttle.failureDelayMs('192.0.2.1'), 0);
    assert.equal(throttle.isBanned('192.0.2.1'), false);
  });

  it('bans an address after banAfterFailures failures within the window, until banDurationMs has passed', () => {
    const { throttle, clock } = makeThrottle();
    for (let attempt = 0; attempt < 4; attempt++) throttle.recordFailure('192.0.2.1', `u${attempt}`);
    assert.equal(throttle.isBanned('192.0.2.1'), false);
    throttle.recordFailure('192.0.2.1', 'u4');
    assert.equal(throttle.isBanned('192.0.2.1'), true);
    clock.now += 59_999;
    assert.equal(throttle.isBanned('192.0.2.1'), true);
    clock.now += 1;
    assert.equal(throttle.isBanned('192.0.2.1'), false);
  });

  it('bans a user name attacked from many addresses, but not an unrelated one', () => {
    const { throttle } = makeThrottle();
    for (let attempt = 0; attempt < 5; attempt++) throttle.recordFailure(`198.51.100.${attempt}`, 'alice');
    assert.equal(throttle.isBanned('203.0.113.9', 'alice'), true);
    assert.equal(throttle.isBanned('203.0.113.9', 'bob'), false);
    assert.equal(throttle.isBanned('203.0.113.9'), false);
  });

  it('does not let a successful login reset a user name under attack', () => {
    const { throttle } = makeThrottle();
    for (let attempt = 0; attempt < 4; attempt++) throttle.recordFailure(`198.51.100.${attempt}`, 'alice');
    throttle.recordSuccess('203.0.113.9', 'alice');
    throttle.recordFailure('198.51.100.77', 'alice');
    assert.equal(throttle.isBanned('203.0.113.9', 'alice'), true);
  });

  it('forgets failures older than the window, so slow failures never ban', () => {
    const { throttle, clock } = makeThrottle();
    for (let attempt = 0; attempt < 20; attempt++) {
      throttle.recordFailure('192.0.2.1', 'alice');
      clock.now += 15_001; // at most four failures fall inside any 60 s window
    }
    assert.equal(throttle.isBanned('192.0.2.1', 'alice'), false);
  });

  it('never bans when banAfterFailures is 0', () => {
    const { throttle } = makeThrottle({ banAfterFailures: 0 });
    for (let attempt = 0; attempt < 100; attempt++) throttle.recordFailure('192.0.2.1', 'alice');
    assert.equal(throttle.isBanned('192.0.2.1', 'alice'), false);
  });

  it('keeps memory bounded by forgetting the least recently seen entries', () => {
    const { throttle } = makeThrottle({ maxTrackedEntries: 100 });
    for (let index = 0; index < 5000; index++) throttle.recordFailure(`10.0.${index >> 8}.${index & 255}`, `user${index}`);
    assert.equal(throttle.trackedEntryCount, 200);
    assert.equal(throttle.failureDelayMs('10.0.0.0'), 0, 'the oldest address was forgotten');
    assert.equal(throttle.failureDelayMs('10.0.19.135'), 1000, 'the newest address is still tracked');
  });
});
