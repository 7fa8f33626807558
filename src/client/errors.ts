/**
 * The client's error family. Each class has a stable `code` (for programs) and `name` (for logs),
 * following undici's lib/core/errors.js. FTP reply codes live in `replyCode`, never `code`.
 */
import type { FtpReply } from '../protocol/reply.js';

/** Base class of every error the FTP client raises on purpose. */
export class FtpClientError extends Error {
  override readonly name: string = 'FtpClientError';
  readonly code: string = 'ERR_FTP_CLIENT';
}

/** The server answered 4xx or 5xx. The connection stays usable. */
export class FtpReplyError extends FtpClientError {
  override readonly name = 'FtpReplyError';
  override readonly code = 'ERR_FTP_REPLY';
  /** The failing reply's three-digit code. */
  readonly replyCode: number;
  /** The failing reply's text lines. */
  readonly replyLines: readonly string[];
  /** The command that was refused, PASS redacted (e.g. "RETR /a.txt"). */
  readonly command: string;

  constructor(reply: FtpReply, command: string) {
    super(`${reply.replyCode} ${reply.lines.join(' ').trim()} (${command})`);
    this.replyCode = reply.replyCode;
    this.replyLines = reply.lines;
    this.command = command;
  }

  /** True for 4xx: RFC 959 §4.2 calls these transient, so the same request may succeed later. */
  get isTransient(): boolean {
    return this.replyCode >= 400 && this.replyCode < 500;
  }
}

/** The control connection is closed (by us, by the server, or by a network error). */
export class FtpConnectionClosedError extends FtpClientError {
  override readonly name = 'FtpConnectionClosedError';
  override readonly code = 'ERR_FTP_CONNECTION_CLOSED';
  /** True when the caller closed it (FtpClient.close()): not a failure worth retrying. */
  readonly isClosedByCaller: boolean;

  constructor(message: string, options: { cause?: unknown; isClosedByCaller?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.isClosedByCaller = options.isClosedByCaller ?? false;
  }
}

/** The server sent something that is not valid FTP; the connection is closed. */
export class FtpProtocolError extends FtpClientError {
  override readonly name = 'FtpProtocolError';
  override readonly code = 'ERR_FTP_PROTOCOL';
}

/** Connect, a reply, or a stalled data connection took longer than its limit. */
export class FtpTimeoutError extends FtpClientError {
  override readonly name = 'FtpTimeoutError';
  override readonly code = 'ERR_FTP_TIMEOUT';
}

/** A second request was started while one is still running on the same control connection. */
export class FtpBusyError extends FtpClientError {
  override readonly name = 'FtpBusyError';
  override readonly code = 'ERR_FTP_BUSY';
}

/** Server output exceeded a configured bound (e.g. `maxListingBytes`). The connection stays usable. */
export class FtpLimitExceededError extends FtpClientError {
  override readonly name = 'FtpLimitExceededError';
  override readonly code = 'ERR_FTP_LIMIT_EXCEEDED';
}

/** A name from the server cannot safely become a local path or path segment. */
export class FtpUnsafeNameError extends FtpClientError {
  override readonly name = 'FtpUnsafeNameError';
  override readonly code = 'ERR_FTP_UNSAFE_NAME';
  /** The offending name, as received. */
  readonly unsafeName: string;

  constructor(unsafeName: string, reason: string) {
    super(`refusing unsafe name ${JSON.stringify(unsafeName)}: ${reason}`);
    this.unsafeName = unsafeName;
  }
}

/**
 * A recursive remove met a directory it had already entered (same RFC 3659 `unique` fact): a link
 * or loop the server lists as a directory. It was not descended into, and DELE did not remove it.
 */
export class FtpDirectoryAliasError extends FtpClientError {
  override readonly name = 'FtpDirectoryAliasError';
  override readonly code = 'ERR_FTP_DIRECTORY_ALIAS';
  /** The path that was not descended into. */
  readonly path: string;
  /** The path first entered under the same unique fact. */
  readonly sameAs: string;

  constructor(path: string, sameAs: string, options: { cause?: unknown } = {}) {
    super(
      `refusing to remove ${JSON.stringify(path)} recursively: it is the same directory as ${JSON.stringify(sameAs)} ` +
        '(RFC 3659 unique fact), a link or loop the server lists as a directory, and DELE did not remove it',
      options,
    );
    this.path = path;
    this.sameAs = sameAs;
  }
}

/** A data connection could not be set up (refused, foreign peer, no usable mode). */
export class FtpDataConnectionError extends FtpClientError {
  override readonly name = 'FtpDataConnectionError';
  override readonly code = 'ERR_FTP_DATA_CONNECTION';
}

/** The caller's AbortSignal cancelled the operation; the connection stays usable. */
export class FtpAbortError extends FtpClientError {
  override readonly name = 'AbortError';
  override readonly code = 'ABORT_ERR';
}

/**
 * FTPS failed: the server refused AUTH TLS, the TLS handshake failed, or the server's certificate
 * did not verify. The connection (control or data) is closed. Never falls back to clear text.
 */
export class FtpTlsError extends FtpClientError {
  override readonly name = 'FtpTlsError';
  override readonly code = 'ERR_FTP_TLS';
  /**
   * Node's or OpenSSL's code for the failure when there is one, e.g. "DEPTH_ZERO_SELF_SIGNED_CERT",
   * "ERR_TLS_CERT_ALTNAME_INVALID", "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION".
   */
  readonly tlsCode: string | undefined;

  constructor(message: string, options: { cause?: unknown; tlsCode?: string | undefined } = {}) {
    super(message, { cause: options.cause });
    this.tlsCode = options.tlsCode;
  }
}
