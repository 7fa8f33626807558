/**
 * The built-in Authenticator: a fixed list of accounts (from the config, the users file or --user
 * flags) plus optional anonymous access, each logged-in account getting a LocalStorage at its home.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import type { Account, Authenticator, LoginContext } from './authenticator.js';
import { allPermissions, type Permission } from './permissions.js';
import { anonymousPermissions, isAnonymousUserName, type AnonymousPolicy } from './anonymous.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { LocalStorage } from '../storage/local-storage.js';
import type { FileIoMode } from '../file-io/inline-file-io.js';

/** Transfer rate caps in bytes per second; 0 means unlimited. */
export interface BandwidthLimits {
  readonly uploadBytesPerSecond: number;
  readonly downloadBytesPerSecond: number;
}

/** One configured account. */
export interface AccountDefinition {
  readonly name: string;
  /** A plain password (from --user on the command line); prefer passwordHash in files. */
  readonly password?: string;
  /** A hash from hashPassword (scrypt$N$r$p$salt$hash). */
  readonly passwordHash?: string;
  /** Real directory the account sees as "/"; default: the server's root. */
  readonly home?: string;
  /** What the account may do; default: every permission. */
  readonly permissions?: readonly Permission[];
  /** Refuse this account's login over a plain connection. */
  readonly requireTls?: boolean;
  /** Per-account rate caps, replacing the server-wide ones. */
  readonly bandwidth?: BandwidthLimits;
}

/** Options for AccountAuthenticator. */
export interface AccountAuthenticatorOptions {
  readonly accounts: readonly AccountDefinition[];
  /** Real directory used for accounts (and anonymous) without their own home. */
  readonly defaultRoot: string;
  readonly anonymous: AnonymousPolicy;
  /** Passed to every account's LocalStorage. */
  readonly atomicUploads?: boolean;
  /** Passed to every account's LocalStorage (default 'auto'). */
  readonly fileIo?: FileIoMode;
  /** Told why each failed login failed, for the server log (clients only ever see 530). */
  readonly onFailure?: (failure: LoginFailure) => void;
}

/** Why a login failed; for logs only, never for the client (it would enable user enumeration). */
export type LoginFailureReason = 'unknown-user' | 'wrong-password' | 'tls-required' | 'home-unavailable';

/** A failed login as reported to `onFailure` and by authenticateWithReason. */
export interface LoginFailure {
  readonly username: string;
  readonly clientAddress: string;
  readonly reason: LoginFailureReason;
  /** Underlying error for 'home-unavailable' (may contain real paths: log it, do not send it). */
  readonly cause?: unknown;
}

/** The outcome of a login attempt with its reason. */
export type LoginResult = { readonly account: Account; readonly failure: null } | { readonly account: null; readonly failure: LoginFailure };

/** Most remembered successful logins (each a 44-byte digest string). */
const maxVerifiedCredentials = 4096;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Authenticator over a fixed account list. Every non-anonymous attempt costs one scrypt
 * verification whatever the outcome (unknown user, plain or hashed password), so response time
 * does not reveal which user names exist.
 */
export class AccountAuthenticator implements Authenticator {
  readonly #accounts = new Map<string, AccountDefinition>();
  readonly #options: AccountAuthenticatorOptions;
  readonly #dummyHash: Promise<string>;
  /** Keyed digests of credentials that verified; bounded, process-local secret. */
  readonly #verifiedCredentials = new Set<string>();
  readonly #credentialsCacheSecret = randomBytes(32);
  /** Accounts already opened (home checked), by user name. */
  readonly #openedAccounts = new Map<string, Account>();

  /** Build from definitions; throws on a duplicate account name. */
  constructor(options: AccountAuthenticatorOptions) {
    for (const account of options.accounts) {
      if (this.#accounts.has(account.name)) throw new Error(`duplicate account name '${account.name}'`);
      this.#accounts.set(account.name, account);
    }
    this.#options = options;
    // The stand-in hash for unknown users and plain passwords is made now, so that even the first
    // such attempt costs one scrypt run like every other (not two).
    this.#dummyHash = hashPassword(randomBytes(16).toString('base64'));
  }

  /** True for anonymous names while anonymous access is enabled (and no real account has that name). */
  isPasswordOptional(username: string): boolean {
    return this.#isAnonymousLogin(username);
  }

  /** True when the named account must log in over TLS; false for unknown names (no enumeration). */
  requiresTls(username: string): boolean {
    return this.#accounts.get(username)?.requireTls ?? false;
  }

  /** The Account for valid credentials, else null; the reason goes to `onFailure`. */
  async authenticate(username: string, password: string, context: LoginContext): Promise<Account | null> {
    return (await this.authenticateWithReason(username, password, context)).account;
  }

  /** Like authenticate, but also says why a login failed (and reports it to `onFailure`). */
  async authenticateWithReason(username: string, password: string, context: LoginContext): Promise<LoginResult> {
    const result = await this.#attempt(username, password, context);
    if (result.failure !== null) this.#options.onFailure?.(result.failure);
    return result;
  }

  #isAnonymousLogin(username: string): boolean {
    return this.#options.anonymous.enabled && isAnonymousUserName(username) && !this.#accounts.has(username);
  }

  async #attempt(username: string, password: string, context: LoginContext): Promise<LoginResult> {
    const fail = (reason: LoginFailureReason, cause?: unknown): LoginResult => ({
      account: null,
      failure: { username, clientAddress: context.clientAddress, reason, ...(cause === undefined ? {} : { cause }) },
    });

    if (this.#isAnonymousLogin(username)) {
      // RFC 1635: the password is conventionally an e-mail address and is not checked.
      const anonymous = this.#options.anonymous;
      return this.#openAccount(username, anonymous.root ?? this.#options.defaultRoot, anonymousPermissions(anonymous), true, undefined).then(
        (account) => ({ account, failure: null }),
        (error: unknown) => fail('home-unavailable', error),
      );
    }

    const definition = this.#accounts.get(username);
    const isPasswordCorrect = await this.#checkPassword(definition, password);
    if (definition === undefined) return fail('unknown-user');
    if (!isPasswordCorrect) return fail('wrong-password');
    // Checked after the password so timing and outcome are the same for right and wrong users.
    if (definition.requireTls && !context.isSecure) return fail('tls-required');
    // One Account object per user, shared by all of that user's sessions (it holds no session
    // state): a thousand logged-in cameras then cost one Account, not a thousand.
    const opened = this.#openedAccounts.get(username);
    if (opened) return { account: opened, failure: null };
    try {
      const account = await this.#openAccount(
        username,
        definition.home ?? this.#options.defaultRoot,
        new Set(definition.permissions ?? allPermissions),
        false,
        definition.bandwidth,
      );
      this.#openedAccounts.set(username, account);
      return { account, failure: null };
    } catch (error) {
      return fail('home-unavailable', error);
    }
  }

  async #checkPassword(definition: AccountDefinition | undefined, password: string): Promise<boolean> {
    // Logins that already succeeded skip scrypt: a keyed digest of the credentials is remembered.
    // Failures always pay the full price, so timing still tells an attacker nothing, while a camera
    // logging in every few seconds costs microseconds instead of tens of milliseconds.
    const cacheKey = definition === undefined ? null : this.#verifiedCredentialsKey(definition.name, password);
    if (cacheKey !== null && this.#verifiedCredentials.has(cacheKey)) return true;
    const isCorrect = await this.#verifyWithScrypt(definition, password);
    if (isCorrect && cacheKey !== null) this.#rememberVerified(cacheKey);
    return isCorrect;
  }

  #verifiedCredentialsKey(username: string, password: string): string {
    return createHmac('sha256', this.#credentialsCacheSecret).update(username).update('\0').update(password).digest('base64');
  }

  #rememberVerified(cacheKey: string): void {
    if (this.#verifiedCredentials.size >= maxVerifiedCredentials) {
      // Evict the oldest entry (Set keeps insertion order) to stay bounded.
      this.#verifiedCredentials.delete(this.#verifiedCredentials.values().next().value!);
    }
    this.#verifiedCredentials.add(cacheKey);
  }

  async #verifyWithScrypt(definition: AccountDefinition | undefined, password: string): Promise<boolean> {
    if (definition?.passwordHash !== undefined) return verifyPassword(password, definition.passwordHash);
    // Unknown users and plain-password accounts still pay for one scrypt run (timing parity).
    const dummyVerification = verifyPassword(password, await this.#dummyHash);
    // Digests make the inputs equal length, which timingSafeEqual requires, without leaking length.
    const isPlainMatch = definition?.password !== undefined && timingSafeEqual(digest(password), digest(definition.password));
    await dummyVerification;
    return isPlainMatch;
  }

  async #openAccount(
    username: string,
    home: string,
    permissions: ReadonlySet<Permission>,
    isAnonymous: boolean,
    bandwidth: BandwidthLimits | undefined,
  ): Promise<Account> {
    const realHome = await realpath(home);
    if (!(await stat(realHome)).isDirectory()) throw new Error(`home is not a directory: ${realHome}`);
    return {
      username,
      permissions,
      storage: new LocalStorage(realHome, { atomicUploads: this.#options.atomicUploads ?? false, fileIo: this.#options.fileIo ?? 'auto' }),
      isAnonymous,
      ...(bandwidth === undefined ? {} : { bandwidth }),
    };
  }
}
