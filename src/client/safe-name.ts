/**
 * Names that come from a server (listings, 257 replies) are hostile input: "../x", "/etc/passwd",
 * "a/b" or "C:x" would escape the directory they are joined onto, locally or remotely, and CR/LF
 * would forge protocol lines. A name must be exactly one path segment before it is used.
 */
import { FtpUnsafeNameError } from './errors.js';

/** POSIX NAME_MAX; longer names cannot be created locally anyway. */
const maxNameBytes = 255;

/** Device names Windows resolves in every directory (CON, NUL, COM1 …), with or without extension. */
const windowsReservedName = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Return `name` if it is safe as a single path segment on this platform; otherwise throw
 * FtpUnsafeNameError. Refused everywhere: empty, ".", "..", "/" or "\\", NUL and other control
 * characters (CR/LF included). On Windows also ":" (drive letters, streams), reserved device names
 * and trailing dots or spaces (Windows strips them, so two names could collide).
 */
export function assertSafeName(name: string, platform: NodeJS.Platform = process.platform): string {
  if (name === '' || name === '.' || name === '..') throw new FtpUnsafeNameError(name, 'not a file name');
  if (/[/\\]/.test(name)) throw new FtpUnsafeNameError(name, 'contains a path separator');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new FtpUnsafeNameError(name, 'contains a control character');
  if (Buffer.byteLength(name) > maxNameBytes) throw new FtpUnsafeNameError(name, `longer than ${maxNameBytes} bytes`);
  if (platform === 'win32') {
    if (name.includes(':')) throw new FtpUnsafeNameError(name, 'contains ":"');
    if (windowsReservedName.test(name)) throw new FtpUnsafeNameError(name, 'is a reserved device name');
    if (/[. ]$/.test(name)) throw new FtpUnsafeNameError(name, 'ends with a dot or space');
  }
  return name;
}

/** True when {@link assertSafeName} would accept `name`. */
export function isSafeName(name: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    assertSafeName(name, platform);
    return true;
  } catch {
    return false;
  }
}
