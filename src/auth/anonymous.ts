/**
 * Anonymous FTP (RFC 1635): off unless enabled, and read-only unless the operator grants more, so
 * turning it on never silently opens a writable drop box.
 */
import { readOnlyPermissions, type Permission } from './permissions.js';

/** User names that mean "anonymous" (RFC 1635 §2; vsftpd accepts both, in any case). */
export const anonymousUserNames: readonly string[] = ['anonymous', 'ftp'];

/** True when the name asks for anonymous access; compared case-insensitively like vsftpd. */
export function isAnonymousUserName(name: string): boolean {
  return anonymousUserNames.includes(name.toLowerCase());
}

/** How anonymous logins are handled. */
export interface AnonymousPolicy {
  /** SECURITY: anonymous access exposes the tree to anyone who can connect; off by default. */
  readonly enabled: boolean;
  /** Real directory anonymous users see; null means the server's default root. */
  readonly root: string | null;
  /** What anonymous users may do; omitted means read-only. */
  readonly permissions?: readonly Permission[];
}

/** The default policy: anonymous logins refused. */
export const disabledAnonymousPolicy: AnonymousPolicy = { enabled: false, root: null, permissions: readOnlyPermissions };

/** The permissions an anonymous session gets: the explicitly granted ones, else read-only. */
export function anonymousPermissions(policy: AnonymousPolicy): ReadonlySet<Permission> {
  return new Set(policy.permissions ?? readOnlyPermissions);
}
