/**
 * Password hashes in the form `scrypt$N$r$p$saltB64$hashB64` (node:crypto scrypt, RFC 7914), so a
 * users file never holds a plain password and the cost parameters travel with each hash.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const defaultCost = { N: 16384, r: 8, p: 1 } as const;
const saltBytes = 16;
const keyBytes = 32;

// Bounds on parameters read from a stored hash: a corrupt or hostile users file must not be able
// to make one login allocate gigabytes or spin for minutes.
const maxCostN = 1 << 20;
const maxBlockSize = 32;
const maxParallelism = 16;
const minKeyBytes = 16;
const maxKeyBytes = 64;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function deriveKey(password: string, salt: Buffer, keyLength: number, cost: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is too small above N=2^15, r=8.
  const maxmem = 128 * (cost.N ?? defaultCost.N) * (cost.r ?? defaultCost.r) * 2 + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...cost, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hash a password with a fresh 16-byte salt; the result is what a users file stores. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await deriveKey(password, salt, keyBytes, defaultCost);
  return ['scrypt', defaultCost.N, defaultCost.r, defaultCost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from ignores trailing garbage bits; a round trip proves the text was canonical base64.
  return bytes.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : null;
}

function parseDecimal(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}

function parsePasswordHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const N = parseDecimal(parts[1], maxCostN);
  const r = parseDecimal(parts[2], maxBlockSize);
  const p = parseDecimal(parts[3], maxParallelism);
  if (N === null || r === null || p === null || N < 2 || (N & (N - 1)) !== 0) return null;
  const salt = decodeBase64Strict(parts[4]!);
  const key = decodeBase64Strict(parts[5]!);
  if (salt === null || key === null || salt.length === 0) return null;
  if (key.length < minKeyBytes || key.length > maxKeyBytes) return null;
  return { N, r, p, salt, key };
}

/** True when the text has the shape of a hash produced by hashPassword (parameters within bounds). */
export function isPasswordHash(stored: string): boolean {
  return parsePasswordHash(stored) !== null;
}

/**
 * True when the password matches the stored hash. Compares in constant time; resolves false (never
 * rejects) for a malformed stored string.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (parsed === null) return false;
  try {
    const key = await deriveKey(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}
