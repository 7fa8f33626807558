/** The mutable per-session protocol state that commands read and change. */
import type { Account } from '../auth/authenticator.js';
import { rootPath, type VirtualPath } from '../protocol/virtual-path.js';

/** TYPE (RFC 959 §3.1.1): ASCII converts line ends, image is byte-exact. */
export type TransferType = 'ascii' | 'image';

/** Protocol state of one control connection. */
export class SessionState {
  /** Name given by USER, waiting for PASS. */
  pendingUsername: string | null = null;
  account: Account | null = null;
  cwd: VirtualPath = rootPath;
  transferType: TransferType = 'ascii';
  /** REST offset for the next RETR/STOR, cleared after it (RFC 3659 §5). */
  restartOffset = 0;
  /** Source path of a pending RNFR; cleared by any command other than RNTO. */
  renameFrom: VirtualPath | null = null;
  /** After "EPSV ALL" only EPSV may set up data connections (RFC 2428 §4). */
  isEpsvAllMode = false;
  /** MLST facts the client asked for with OPTS MLST (RFC 3659 §7.9). */
  mlstFacts: ReadonlySet<string> | null = null;
  /** Failed PASS attempts on this connection. */
  failedLoginAttempts = 0;
  /** HOST (RFC 7151) value, if the client sent one. */
  virtualHost: string | null = null;

  /** True once PASS succeeded. */
  get isLoggedIn(): boolean {
    return this.account !== null;
  }

  /** Back to the state of a fresh connection (REIN, RFC 959 §4.1.1). */
  reset(): void {
    this.pendingUsername = null;
    this.account = null;
    this.cwd = rootPath;
    this.transferType = 'ascii';
    this.restartOffset = 0;
    this.renameFrom = null;
    this.isEpsvAllMode = false;
    this.mlstFacts = null;
    this.virtualHost = null;
  }
}
