/**
 * FTPS (RFC 4217) settings for the client: the options callers give, resolved into the one set of
 * `tls.connect` options used for the control connection and, with the session to resume, for every
 * data connection; and the translation of Node's TLS failures into FtpTlsError.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import { FtpTlsError } from './errors.js';

/**
 * `false`: plain FTP. `'explicit'`: connect in clear text, then AUTH TLS (RFC 4217 §4, port 21).
 * `'implicit'`: TLS from the first byte (the pre-RFC 4217 convention, port 990).
 */
export type FtpSecurity = false | 'explicit' | 'implicit';

/** How the client does TLS. Every field is optional; the defaults verify the server. */
export interface FtpTlsOptions {
  /** PEM CA certificate(s) to trust instead of Node's bundled roots, e.g. a self-signed server certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * SECURITY: verify the server's certificate chain and host name (default true). `false` is for
   * testing only: anyone on the path can then impersonate the server and read the password.
   */
  readonly rejectUnauthorized?: boolean;
  /** Name for SNI and certificate checks; default the host, unless it is an IP address (RFC 6066 §3 forbids IP SNI). */
  readonly servername?: string;
  /** SECURITY: lowest TLS version accepted (default TLSv1.2; RFC 8996 deprecates 1.0 and 1.1). */
  readonly minVersion?: SecureVersion;
  /** Highest TLS version offered (default: Node's, TLSv1.3). */
  readonly maxVersion?: SecureVersion;
  /** PEM client certificate chain, for servers that ask for one. */
  readonly cert?: string | Buffer;
  /** PEM private key for `cert`. */
  readonly key?: string | Buffer;
  /** Passphrase for `key`. */
  readonly passphrase?: string;
}

/** The resolved `tls.connect` options (no socket, no session) and the peer name used in errors. */
export interface TlsSettings {
  readonly connectOptions: ConnectionOptions;
  /** Whether the server's certificate is verified (false only when the caller turned it off). */
  readonly isVerifying: boolean;
}

/** Resolve `options` for a server reached as `host`; the defaults are the secure ones. */
export function resolveTlsSettings(host: string, options: FtpTlsOptions = {}): TlsSettings {
  const isVerifying = options.rejectUnauthorized !== false;
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
  const connectOptions: ConnectionOptions = {
    // `host` is what checkServerIdentity checks when there is no servername (an IP address); it
    // does not make tls.connect open a socket when `socket` is given.
    host,
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: isVerifying,
    minVersion: options.minVersion ?? 'TLSv1.2',
    ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
    ...(options.ca !== undefined ? { ca: typeof options.ca === 'string' || Buffer.isBuffer(options.ca) ? options.ca : [...options.ca] } : {}),
    ...(options.cert !== undefined ? { cert: options.cert } : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
  };
  return { connectOptions, isVerifying };
}

/** OpenSSL's X.509 verification results as Node names them (src/crypto/crypto_common.cc), plus Node's name check. */
const certificateErrorCodes = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `tlsCode` names a certificate verification failure (as opposed to a handshake failure). */
export function isCertificateErrorCode(tlsCode: string | undefined): boolean {
  return tlsCode !== undefined && certificateErrorCodes.has(tlsCode);
}

/** An FtpTlsError for a failed handshake with `peer` ("control connection to host:port", …), naming the problem. */
export function tlsFailure(error: Error, peer: string): FtpTlsError {
  if (error instanceof FtpTlsError) return error;
  const tlsCode = (error as NodeJS.ErrnoException).code;
  if (isCertificateErrorCode(tlsCode)) {
    return new FtpTlsError(
      `TLS certificate of the ${peer} not trusted: ${error.message} (${tlsCode}); trust its issuer with the ca option ` +
        '(ferry: --ca FILE), or, for testing only, skip verification (rejectUnauthorized: false, ferry: --insecure)',
      { cause: error, tlsCode },
    );
  }
  return new FtpTlsError(`TLS handshake on the ${peer} failed: ${error.message}${tlsCode ? ` (${tlsCode})` : ''}`, { cause: error, tlsCode });
}
