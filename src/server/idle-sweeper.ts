/**
 * One timer for every session's idle timeout instead of one timer per session: a session only
 * records when it was last active (a number), and a sweep a few times per timeout closes the idle
 * ones. This keeps an idle session small (no Timeout object) and makes a command cheaper (no
 * clearTimeout/setTimeout pair per command).
 */

/** When the clock below started. */
const clockStart = Date.now();

/**
 * Milliseconds since this module loaded: the clock sessions record their last activity on. Why not
 * Date.now(): a number that large is no small integer to V8, so every session would hold it in a
 * separate 16-byte heap number; this clock's values stay small integers for the first 12 days.
 * Math.trunc changes no value (both are whole milliseconds): it makes V8 return the difference as
 * a small integer rather than a heap number (checked with %IsSmi on Node 20).
 */
export function activityClock(): number {
  return Math.trunc(Date.now() - clockStart);
}

/** What the sweeper needs from a session. */
export interface IdleTrackable {
  /** activityClock() of the session's last command (or of its start). */
  readonly lastActivityAt: number;
  /** Called once the session was idle for the timeout; the session decides what to do. */
  onIdleTimeout(): void;
}

/** Sweeps a set of sessions for idleness while any are tracked. */
export class IdleSweeper {
  private readonly tracked = new Set<IdleTrackable>();
  private timer: NodeJS.Timeout | null = null;
  private readonly sweepIntervalMs: number;

  constructor(private readonly idleTimeoutMs: number) {
    // A session closes between 1 and 1.25 timeouts after its last command.
    this.sweepIntervalMs = Math.max(10, Math.min(1000, Math.floor(idleTimeoutMs / 4)));
  }

  /** Start watching a session. */
  track(session: IdleTrackable): void {
    this.tracked.add(session);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
      this.timer.unref();
    }
  }

  /** Stop watching a session (it closed). */
  untrack(session: IdleTrackable): void {
    this.tracked.delete(session);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private sweep(): void {
    const deadline = activityClock() - this.idleTimeoutMs;
    for (const session of this.tracked) {
      if (session.lastActivityAt <= deadline) session.onIdleTimeout();
    }
  }
}
