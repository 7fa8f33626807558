/** Authentication contract: the server asks an Authenticator to turn credentials into an Account. */
import type { Storage } from '../storage/storage.js';
import type { Permission } from './permissions.js';

/** A logged-in account: who it is, what it may do, and the storage rooted at its home. */
export interface Account {
  readonly username: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly storage: Storage;
  readonly isAnonymous: boolean;
  /** Per-account transfer rate caps in bytes per second (0 = unlimited); absent means the server-wide ones. */
  readonly bandwidth?: { readonly uploadBytesPerSecond: number; readonly downloadBytesPerSecond: number };
}

/** What the server knows about the login attempt beyond the credentials. */
export interface LoginContext {
  readonly clientAddress: string;
  readonly isSecure: boolean;
}

/** Turns credentials into an Account, or null when they are wrong. Never throws for bad credentials. */
export interface Authenticator {
  authenticate(username: string, password: string, context: LoginContext): Promise<Account | null>;
  /** True when the user name needs no password (e.g. anonymous); the server still asks for one. */
  isPasswordOptional?(username: string): boolean;
  /** True when this user may only log in over TLS (per-user policy, checked at USER before a password is sent). */
  requiresTls?(username: string): boolean;
}
