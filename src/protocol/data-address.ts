/**
 * Data-connection addresses on the wire: PORT/PASV (RFC 959 §4.1.2, IPv4 only) and EPRT/EPSV
 * (RFC 2428, IPv4 and IPv6). Pure encode/parse; the caller decides what addresses it trusts.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A host and TCP port for a data connection. */
export interface DataAddress {
  readonly host: string;
  readonly port: number;
}

/** RFC 2428 network protocol numbers. */
export const AddressFamilyNumber = { IPv4: 1, IPv6: 2 } as const;

/** Raised for a malformed address argument or reply. */
export class DataAddressError extends Error {
  override readonly name = 'DataAddressError';
  readonly code = 'ERR_FTP_DATA_ADDRESS';
}

/** "::ffff:1.2.3.4" → "1.2.3.4"; other addresses unchanged. Node reports IPv4 peers on dual-stack sockets this way. */
export function unmapIPv4(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

/** True when two textual addresses name the same host (IPv4-mapped IPv6 equals its IPv4). */
export function isSameHost(a: string, b: string): boolean {
  const left = unmapIPv4(a).toLowerCase();
  const right = unmapIPv4(b).toLowerCase();
  if (left === right) return true;
  const leftCanonical = canonicalIPAddress(left);
  return leftCanonical !== null && leftCanonical === canonicalIPAddress(right);
}

/**
 * Eight four-digit hex groups for any IPv4 or IPv6 literal, IPv4 written as its mapped IPv6
 * (RFC 4291 §2.5.5.2), so that "0:0:0:0:0:ffff:7f00:1", "::ffff:127.0.0.1" and "127.0.0.1" agree.
 * Null for anything that is not an IP literal (host names never match by spelling alone).
 */
function canonicalIPAddress(address: string): string | null {
  if (isIPv4(address)) return canonicalIPAddress(`::ffff:${address}`);
  if (!isIPv6(address)) return null;
  let text = address;
  // A trailing dotted quad stands for the last two groups (RFC 4291 §2.2, form 3).
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [b1, b2, b3, b4] = dotted.slice(2).map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const [head = '', tail = ''] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = text.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  return [...headParts, ...Array<string>(missing).fill('0'), ...tailParts]
    .map((part) => part.padStart(4, '0'))
    .join(':');
}

function parseByte(text: string): number {
  if (!/^\d{1,3}$/.test(text.trim())) throw new DataAddressError(`not a number 0-255: ${text}`);
  const value = Number(text.trim());
  if (value > 255) throw new DataAddressError(`number out of range 0-255: ${text}`);
  return value;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DataAddressError(`invalid port: ${port}`);
  return port;
}

/** Parse "h1,h2,h3,h4,p1,p2" (the PORT argument and the numbers in a 227 reply). */
export function parseHostPortNumbers(text: string): DataAddress {
  const parts = text.trim().split(',');
  if (parts.length !== 6) throw new DataAddressError('expected six comma-separated numbers');
  const numbers = parts.map(parseByte);
  return { host: numbers.slice(0, 4).join('.'), port: checkPort(numbers[4]! * 256 + numbers[5]!) };
}

/** Format an IPv4 address and port as "h1,h2,h3,h4,p1,p2". */
export function formatHostPortNumbers(address: DataAddress): string {
  const host = unmapIPv4(address.host);
  if (!isIPv4(host)) throw new DataAddressError(`PORT/PASV need an IPv4 address, got ${address.host}`);
  checkPort(address.port);
  return `${host.split('.').join(',')},${address.port >> 8},${address.port & 0xff}`;
}

/** Parse the PORT argument. */
export const parsePortArgument = parseHostPortNumbers;

/** Format the PORT argument for an address. */
export const formatPortArgument = formatHostPortNumbers;

/** The 227 reply text for a passive listener at this address. */
export function formatPasvReplyText(address: DataAddress): string {
  return `Entering Passive Mode (${formatHostPortNumbers(address)}).`;
}

/** Extract the address from a 227 reply's text; tolerant of the many formats servers use. */
export function parsePasvReplyText(text: string): DataAddress {
  // The lookarounds keep "1234,5,6,7,8,9" from being read as "234,5,6,7,8,9".
  const match = /(?<!\d)(\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3})(?!\d)/.exec(text);
  if (!match) throw new DataAddressError('no address in 227 reply');
  return parseHostPortNumbers(match[1]!.replace(/\s/g, ''));
}

/** A parsed EPRT argument: address family number plus host and port. */
export interface ExtendedDataAddress extends DataAddress {
  readonly family: 1 | 2;
}

/** Parse the EPRT argument "<d>proto<d>host<d>port<d>" (RFC 2428 §2). */
export function parseEprtArgument(argument: string): ExtendedDataAddress {
  const delimiter = argument.charAt(0);
  const code = delimiter.charCodeAt(0);
  if (!(code >= 33 && code <= 126)) throw new DataAddressError('invalid EPRT delimiter');
  const parts = argument.split(delimiter);
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') throw new DataAddressError('malformed EPRT argument');
  const [, familyText, host = '', portText = ''] = parts;
  if (familyText !== '1' && familyText !== '2') throw new DataAddressError('unsupported network protocol');
  const family = familyText === '1' ? 1 : 2;
  if (family === 1 && !isIPv4(host)) throw new DataAddressError('invalid IPv4 address');
  if (family === 2 && !isIPv6(host)) throw new DataAddressError('invalid IPv6 address');
  if (!/^\d{1,5}$/.test(portText)) throw new DataAddressError('invalid port');
  return { family, host, port: checkPort(Number(portText)) };
}

/** Format the EPRT argument for an address (family chosen from the address). */
export function formatEprtArgument(address: DataAddress): string {
  const host = unmapIPv4(address.host);
  const family = isIPv6(host) ? AddressFamilyNumber.IPv6 : AddressFamilyNumber.IPv4;
  if (family === 1 && !isIPv4(host)) throw new DataAddressError(`not an IP address: ${address.host}`);
  return `|${family}|${host}|${checkPort(address.port)}|`;
}

/** The 229 reply text for a passive listener on this port (RFC 2428 §3). */
export function formatEpsvReplyText(port: number): string {
  return `Entering Extended Passive Mode (|||${checkPort(port)}|)`;
}

/** Extract the port from a 229 reply's text. */
export function parseEpsvReplyText(text: string): number {
  const match = /\((.)\1\1(\d{1,5})\1\)/.exec(text);
  if (!match) throw new DataAddressError('no port in 229 reply');
  return checkPort(Number(match[2]));
}
