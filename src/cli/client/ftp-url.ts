/**
 * `ftp://user:pass@host:port/path` URLs (RFC 1738 §3.2). The path is relative to the login
 * directory, as RFC 1738 §3.2.2 says; "%2F" at its start makes it absolute ("ftp://h/%2Fetc").
 * `ftps://` means implicit FTPS, TLS from the first byte on port 990 by default, as curl and lftp
 * read it; explicit FTPS (AUTH TLS) on an ftp:// URL is the `--tls` flag.
 */

/** A parsed FTP URL; user and password are percent-decoded. */
export interface FtpUrl {
  /** True for ftps:// (implicit FTPS). */
  readonly isImplicitTls: boolean;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Remote path ("" for the login directory); ends with "/" when the URL did. */
  readonly path: string;
}

/** Raised for text that is not a usable ftp:// URL. */
export class FtpUrlError extends Error {
  override readonly name = 'FtpUrlError';
  readonly code = 'ERR_FTP_URL';
}

/** Parse an ftp:// or ftps:// URL; throws FtpUrlError for other schemes, missing hosts or bad escapes. */
export function parseFtpUrl(text: string): FtpUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FtpUrlError(`not a URL: ${text}`);
  }
  if (url.protocol !== 'ftp:' && url.protocol !== 'ftps:') {
    throw new FtpUrlError(`only ftp:// and ftps:// URLs are supported, got ${url.protocol}//`);
  }
  const isImplicitTls = url.protocol === 'ftps:';
  if (url.hostname === '') throw new FtpUrlError(`no host in ${text}`);
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new FtpUrlError(`bad percent-escape in the ${what} of ${text}`);
    }
  };
  // RFC 1738: each segment is decoded separately, so "%2F" at the start is a literal "/" (absolute path).
  const path = url.pathname
    .replace(/^\//, '')
    .split('/')
    .map((segment) => decode(segment, 'path'))
    .join('/');
  return {
    isImplicitTls,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? defaultPort(isImplicitTls) : Number(url.port),
    user: url.username === '' ? undefined : decode(url.username, 'user name'),
    password: url.password === '' ? undefined : decode(url.password, 'password'),
    path,
  };
}

/** The URL without its password, for messages and progress lines. */
export function displayFtpUrl(url: FtpUrl, path: string = url.path): string {
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  const user = url.user ? `${encodeURIComponent(url.user)}@` : '';
  const port = url.port === defaultPort(url.isImplicitTls) ? '' : `:${url.port}`;
  return `${url.isImplicitTls ? 'ftps' : 'ftp'}://${user}${host}${port}/${path}`;
}

function defaultPort(isImplicitTls: boolean): number {
  return isImplicitTls ? 990 : 21;
}
