/**
 * Slows and then stops password guessing: a delay before each failure reply that doubles per
 * client IP, and a temporary ban on an IP or a user name after too many failures in a window.
 * Memory is bounded because the keys (IPs, user names) are chosen by attackers.
 */

/** Options for LoginThrottle; durations in milliseconds. */
export interface LoginThrottleOptions {
  /** Delay after the first consecutive failure from an IP; doubles with each further one. */
  readonly baseDelayMs: number;
  /** Upper bound of that delay. */
  readonly maxDelayMs: number;
  /** Failures within banDurationMs that ban an IP or user name (0 disables bans). */
  readonly banAfterFailures: number;
  /** How long failures count, and how long a ban lasts. */
  readonly banDurationMs: number;
  /** Cap on tracked IPs and on tracked user names, each; the least recently seen are forgotten first. */
  readonly maxTrackedEntries?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

interface FailureRecord {
  /** Failures since the last success (IPs only); drives the delay. */
  consecutiveFailures: number;
  /** Times of failures still inside the counting window. */
  failureTimes: number[];
  /** End of the current ban, or 0. */
  bannedUntil: number;
}

const defaultMaxTrackedEntries = 10_000;

/** Per-IP delays and per-IP / per-user-name bans after failed logins. */
export class LoginThrottle {
  readonly #options: Required<Omit<LoginThrottleOptions, 'now'>>;
  readonly #now: () => number;
  readonly #byAddress = new Map<string, FailureRecord>();
  readonly #byUsername = new Map<string, FailureRecord>();

  /** Create a throttle; nothing is tracked until the first failure. */
  constructor(options: LoginThrottleOptions) {
    const { now = Date.now, maxTrackedEntries = defaultMaxTrackedEntries, ...limits } = options;
    this.#options = { ...limits, maxTrackedEntries };
    this.#now = now;
  }

  /** The delay to apply before answering a failed login from this IP: 0, then base × 2^(n-1) capped at max. */
  failureDelayMs(ip: string): number {
    const failures = this.#byAddress.get(ip)?.consecutiveFailures ?? 0;
    if (failures === 0) return 0;
    const { baseDelayMs, maxDelayMs } = this.#options;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - 1, 52));
  }

  /** Count a failed login from this IP for this user name. */
  recordFailure(ip: string, username: string): void {
    const now = this.#now();
    for (const [table, key] of [
      [this.#byAddress, ip],
      [this.#byUsername, username],
    ] as const) {
      const record = this.#touch(table, key, now);
      record.consecutiveFailures++;
      record.failureTimes.push(now);
      const { banAfterFailures, banDurationMs } = this.#options;
      if (banAfterFailures > 0 && record.bannedUntil === 0 && record.failureTimes.length >= banAfterFailures) {
        record.bannedUntil = now + banDurationMs;
      }
    }
  }

  /**
   * A successful login clears the IP's record. The user name's failures stay: a legitimate login
   * must not reset the count of an attacker guessing that name from elsewhere.
   */
  recordSuccess(ip: string, _username: string): void {
    this.#byAddress.delete(ip);
  }

  /** True while the IP, or the user name if given, is banned. */
  isBanned(ip: string, username?: string): boolean {
    const now = this.#now();
    if (this.#isRecordBanned(this.#byAddress, ip, now)) return true;
    return username !== undefined && this.#isRecordBanned(this.#byUsername, username, now);
  }

  /** Number of tracked IPs plus user names (for tests and metrics). */
  get trackedEntryCount(): number {
    return this.#byAddress.size + this.#byUsername.size;
  }

  #isRecordBanned(table: Map<string, FailureRecord>, key: string, now: number): boolean {
    const record = table.get(key);
    if (record === undefined) return false;
    this.#expire(record, now);
    return record.bannedUntil > now;
  }

  /** Drop failures older than the window, and end a ban that has run out (with a clean slate). */
  #expire(record: FailureRecord, now: number): void {
    if (record.bannedUntil !== 0 && record.bannedUntil <= now) {
      record.bannedUntil = 0;
      record.failureTimes = [];
    }
    const windowStart = now - this.#options.banDurationMs;
    while (record.failureTimes.length > 0 && record.failureTimes[0]! <= windowStart) record.failureTimes.shift();
  }

  /** Fetch or create a record and mark it most recently used (Map order is insertion order). */
  #touch(table: Map<string, FailureRecord>, key: string, now: number): FailureRecord {
    let record = table.get(key);
    if (record === undefined) {
      record = { consecutiveFailures: 0, failureTimes: [], bannedUntil: 0 };
    } else {
      table.delete(key);
      this.#expire(record, now);
    }
    table.set(key, record);
    // Bound memory: an attacker rotating IPs or names must not grow the table without limit.
    while (table.size > this.#options.maxTrackedEntries) table.delete(table.keys().next().value!);
    // Keep per-record memory bounded too: only the last banAfterFailures times can matter.
    const keep = Math.max(this.#options.banAfterFailures, 1);
    if (record.failureTimes.length > keep) record.failureTimes.splice(0, record.failureTimes.length - keep);
    return record;
  }
}
