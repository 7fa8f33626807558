import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineReader } from '../../src/protocol/line-reader.js';
import { parseDosListLine } from '../../src/protocol/listing/dos-list.js';
import type { FileEntry } from '../../src/protocol/listing/file-entry.js';
import { formatMlsxLine, parseFtpTimestamp, parseMlsxLine } from '../../src/protocol/listing/mlsx.js';
import { detectListingFormat, parseListing } from '../../src/protocol/listing/parse-listing.js';
import { formatUnixListLine, parseUnixListLine } from '../../src/protocol/listing/unix-list.js';
import { ReplyParseError, ReplyParser } from '../../src/protocol/reply.js';
import { resolveVirtualPath, rootPath } from '../../src/protocol/virtual-path.js';

const runs = { numRuns: 300 };

/** Bytes biased towards the ones the parsers treat specially, so random input reaches every branch. */
const controlHeavyByte = fc.oneof(
  fc.constantFrom(0x0a, 0x0d, 0xff, 0xfb, 0xfd, 0xf4, 0xf2, 0x20, 0x2d, 0x32, 0x30, 0x35),
  fc.integer({ min: 0, max: 255 }),
);
const controlHeavyBytes = fc.array(controlHeavyByte, { maxLength: 200 }).map((bytes) => Uint8Array.from(bytes));

/** Split points for a buffer of the given length, sorted. */
function cutInto(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('LineReader properties', () => {
  it('yields the same events however the bytes are split, and never holds more than the cap', () => {
    fc.assert(
      fc.property(controlHeavyBytes, fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 24 }), (bytes, cuts, cap) => {
        const whole = new LineReader(cap).push(bytes);
        const reader = new LineReader(cap);
        const pieces = cutInto(bytes, cuts).flatMap((chunk) => {
          const events = reader.push(chunk);
          assert.ok(reader.pendingBytes <= cap);
          return events;
        });
        assert.deepEqual(pieces, whole);
        for (const event of whole) {
          // Every UTF-16 unit of a decoded line comes from at least one byte of it.
          if (event.kind === 'line') assert.ok(event.line.length <= cap);
        }
      }),
      runs,
    );
  });
});

describe('ReplyParser properties', () => {
  const replyish = fc
    .array(fc.oneof(fc.constantFrom('200', '211-', '211 ', '\r\n', '\n', ' ', '-', '5', 'x', 'é'), fc.string({ maxLength: 5 })), { maxLength: 40 })
    .map((parts) => Buffer.from(parts.join('')));

  it('throws nothing but ReplyParseError on random bytes, however they are split', () => {
    fc.assert(
      fc.property(fc.oneof(controlHeavyBytes, replyish), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const parser = new ReplyParser({ maxLineBytes: 64, maxReplyLines: 5 });
        try {
          for (const chunk of cutInto(bytes, cuts)) parser.push(chunk);
        } catch (error) {
          assert.ok(error instanceof ReplyParseError, String(error));
        }
      }),
      runs,
    );
  });
});

describe('listing parser properties', () => {
  const listingPiece = fc.constantFrom(
    '-rw-r--r--', 'drwxr-xr-x', 'lrwxrwxrwx', 'crw-rw-rw-+', ' ', '  ', '\t', '1', '1,', '3', 'ftp', 'Mar', 'Feb', '29',
    '05', '14:03', '2024', '2024-03-05', '+0000', ' -> ', '<DIR>', '01-16-02', '11:14AM', 'PM', 'type=file;', 'type=cdir;',
    'size=', 'modify=20240229120000;', 'UNIX.mode=0755;', 'OS.unix=slink:', ';', '=', '.', '..', '\r\n', '\n', 'total 5',
  );
  const listingLike = fc.array(fc.oneof(listingPiece, fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 30 }).map((parts) => parts.join(''));
  const anyText = fc.oneof(listingLike, fc.string({ maxLength: 200, unit: 'binary' }));

  it('never throw on any string', () => {
    const now = new Date('2024-06-15T12:00:00Z');
    fc.assert(
      fc.property(anyText, (text) => {
        parseUnixListLine(text, now);
        parseDosListLine(text);
        parseMlsxLine(text);
        parseFtpTimestamp(text);
        detectListingFormat(text.split('\n'), now);
        for (const entry of parseListing(text, { now })) {
          assert.notEqual(entry.name, '');
          assert.ok(Number.isFinite(entry.size) && entry.size >= 0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  const nameArbitrary = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }).filter((name) => !/[\r\n\0]/.test(name));
  const dateArbitrary = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });

  it('parse back any file name and size written by formatUnixListLine', () => {
    const now = new Date('2024-06-15T12:00:00Z');
    fc.assert(
      fc.property(nameArbitrary, fc.nat(), dateArbitrary, (name, size, modifiedAt) => {
        const entry: FileEntry = { name, type: 'file', size, modifiedAt };
        const parsed = parseUnixListLine(formatUnixListLine(entry, now), now);
        assert.equal(parsed?.name, name);
        assert.equal(parsed?.size, size);
      }),
      runs,
    );
  });

  it('parse back any file name and date written by formatMlsxLine', () => {
    fc.assert(
      fc.property(nameArbitrary, dateArbitrary, (name, date) => {
        const modifiedAt = new Date(Math.floor(date.getTime() / 1000) * 1000);
        const parsed = parseMlsxLine(formatMlsxLine({ name, type: 'file', size: 1, modifiedAt }, { perm: 'r' }));
        assert.equal(parsed?.name, name);
        assert.deepEqual(parsed?.modifiedAt, modifiedAt);
      }),
      runs,
    );
  });
});

describe('resolveVirtualPath properties', () => {
  const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'b c', '\\..', '...', '..\\'), fc.string({ maxLength: 6 }));
  const pathText = fc.oneof(
    fc.array(segment, { maxLength: 12 }).map((segments) => segments.join('/')),
    fc.string({ maxLength: 60, unit: 'binary' }),
  );

  it('always gives an absolute path with no "." or ".." segment, or null for NUL', () => {
    fc.assert(
      fc.property(pathText, pathText, (cwdInput, input) => {
        const cwd = resolveVirtualPath(rootPath, cwdInput.replace(/\0/g, '')) ?? rootPath;
        const resolved = resolveVirtualPath(cwd, input);
        if (input.includes('\0')) return assert.equal(resolved, null);
        assert.ok(resolved !== null && resolved.startsWith('/'));
        const segments = resolved.split('/').slice(1);
        assert.ok(!segments.includes('..') && !segments.includes('.'), resolved);
        if (resolved !== '/') assert.ok(!segments.includes(''), resolved);
      }),
      { numRuns: 1000 },
    );
  });
});
