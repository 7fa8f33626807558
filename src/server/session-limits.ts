/** Counts sessions overall and per client IP so the server can refuse the excess with 421. */

/** Admission decision for a new connection. */
export type Admission = { isAdmitted: true } | { isAdmitted: false; reason: string };

/** Session counters with the configured caps. */
export class SessionLimits {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly maxSessions: number,
    private readonly maxSessionsPerIp: number,
  ) {}

  /** Try to admit a connection from this IP; counts it when admitted. */
  admit(ip: string): Admission {
    if (this.total >= this.maxSessions) return { isAdmitted: false, reason: 'Too many users connected; try again later.' };
    const count = this.perIp.get(ip) ?? 0;
    if (count >= this.maxSessionsPerIp) {
      return { isAdmitted: false, reason: 'Too many connections from your address; try again later.' };
    }
    this.total++;
    this.perIp.set(ip, count + 1);
    return { isAdmitted: true };
  }

  /** Forget an admitted connection. */
  release(ip: string): void {
    const count = this.perIp.get(ip) ?? 0;
    if (count <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, count - 1);
    this.total = Math.max(0, this.total - 1);
  }

  /** Sessions currently admitted. */
  get activeSessions(): number {
    return this.total;
  }
}
