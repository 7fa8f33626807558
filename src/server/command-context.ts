/**
 * The narrow view of a session that command handlers get (ARCHITECTURE.md convention 4): state,
 * replies, path resolution, data channel and transfers; never the socket or the server.
 */
import type { Logger } from 'pino';
import type { Account, Authenticator } from '../auth/authenticator.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { ServerConfig } from '../config/server-config.js';
import type { VirtualPath } from '../protocol/virtual-path.js';
import type { CommandRegistry } from './commands/registry.js';
import type { DataChannel, DataProtection } from './data/data-channel.js';
import type { TransferRunner } from './data/transfer.js';
import type { ServerEventSink } from './server-events.js';
import type { SessionState } from './session-state.js';

/** Security facts of the control connection, filled in by FTPS; its data channel asks it about PROT. */
export interface ControlSecurity extends DataProtection {
  /** True once the control connection is TLS (AUTH TLS or implicit). */
  readonly isSecure: boolean;
  /** True when AUTH TLS may upgrade this connection: FTPS is configured and it did not start as TLS. */
  readonly canUpgrade: boolean;
  /** Upgrade the control connection to TLS after the 234 reply (AUTH TLS); only when `canUpgrade`. */
  upgrade(): Promise<void>;
  /** PBSZ 0 was received (RFC 4217 §9). */
  hasProtectionBufferSize: boolean;
  /** PROT level: C clear, P private. */
  protectionLevel: 'C' | 'P';
}

/** Everything a command handler may use. */
export interface CommandContext {
  readonly sessionId: string;
  readonly config: ServerConfig;
  readonly state: SessionState;
  /** Session logger (sessionId, clientAddress, user once logged in). */
  readonly log: Logger;
  /** Add the user name to the session's later log lines (after PASS). */
  bindLogUser(username: string): void;
  /** Log one line with the session's fields; cheaper than `log` for sessions that log little. */
  logEvent(level: 'info' | 'warn', fields: object, message: string): void;
  readonly registry: CommandRegistry;
  /** The client's address as seen on the control connection (IPv4-mapped form removed). */
  readonly peerAddress: string;
  /** The server's address of the control connection (IPv4-mapped form removed). */
  readonly localAddress: string;
  readonly dataChannel: DataChannel;
  readonly transfers: TransferRunner;
  readonly authenticator: Authenticator;
  readonly loginThrottle: LoginThrottle;
  readonly events: ServerEventSink;
  readonly security: ControlSecurity;
  /** Send a reply on the control connection. */
  reply(replyCode: number, text: string | readonly string[]): void;
  /** The logged-in account; throws CommandError(530) before login. */
  requireAccount(): Account;
  /** Resolve a client path against the cwd; throws CommandError(501) for an unusable path. */
  resolvePath(argument: string): VirtualPath;
  /** Close the control connection after pending replies are flushed. */
  closeAfterReplies(reason: string): void;
}
