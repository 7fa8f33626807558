import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCommandBytes, defaultMaxCommandLineBytes, LineReader, type LineEvent } from '../../src/protocol/line-reader.js';

const IAC = 0xff;
const WILL = 0xfb;
const DO = 0xfd;
const IP = 0xf4;
const DM = 0xf2;

function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
}

function lines(...texts: string[]): LineEvent[] {
  return texts.map((line) => ({ kind: 'line', line }));
}

describe('LineReader', () => {
  const cases: { title: string; input: Buffer; expected: LineEvent[] }[] = [
    { title: 'splits at CRLF and removes the terminator', input: bytes('USER anna\r\n'), expected: lines('USER anna') },
    { title: 'tolerates a bare LF', input: bytes('NOOP\n'), expected: lines('NOOP') },
    {
      title: 'returns several commands that arrive in one chunk, in order',
      input: bytes('USER a\r\nPASS b\r\nPWD\n'),
      expected: lines('USER a', 'PASS b', 'PWD'),
    },
    { title: 'keeps leading and trailing spaces of the line', input: bytes('STOR  a b  \r\n'), expected: lines('STOR  a b  ') },
    // RFC 854 allows CR only before LF or NUL, so a lone CR ends the line: ftplib's urgent-data
    // ABOR arrives as "ABOR\r" because the kernel drops the urgent LF (no SO_OOBINLINE in Node).
    { title: 'ends a line at a lone CR', input: bytes('ABOR\r'), expected: lines('ABOR') },
    { title: 'splits at a CR inside a line', input: bytes('RETR a\rb\r\n'), expected: lines('RETR a', 'b') },
    { title: 'skips the LF or NUL that follows a CR', input: bytes('X\r\nY\r\0Z\n'), expected: lines('X', 'Y', 'Z') },
    { title: 'gives an empty line for CR CR LF', input: bytes('X\r\r\n'), expected: lines('X', '') },
    { title: 'returns an empty line for a bare CRLF', input: bytes('\r\n'), expected: lines('') },
    { title: 'returns nothing until the line ends', input: bytes('USER anna'), expected: [] },
    {
      title: 'turns IAC IAC into one 0xFF byte (read as Latin-1 since it is not UTF-8)',
      input: bytes('RETR a', [IAC, IAC], 'b\r\n'),
      expected: lines('RETR a\u00ffb'),
    },
    {
      title: 'strips the IAC IP IAC DM synch sequence sent before ABOR (RFC 959 §4.1.3)',
      input: bytes([IAC, IP, IAC, DM], 'ABOR\r\n'),
      expected: lines('ABOR'),
    },
    {
      title: 'drops IAC WILL and IAC DO negotiations with their option byte',
      input: bytes('NO', [IAC, WILL, 0x01], 'O', [IAC, DO, 0x03], 'P\r\n'),
      expected: lines('NOOP'),
    },
    {
      title: 'decodes UTF-8 names (RFC 2640)',
      input: Buffer.from('CWD Größe/日本\r\n', 'utf8'),
      expected: lines('CWD Größe/日本'),
    },
    {
      title: 'falls back to Latin-1 for bytes that are not UTF-8',
      input: bytes('CWD caf', [0xe9], '\r\n'),
      expected: lines('CWD café'),
    },
  ];

  for (const { title, input, expected } of cases) {
    it(title, () => assert.deepEqual(new LineReader().push(input), expected));

    it(`${title}, with the bytes split at every position`, () => {
      for (let split = 0; split <= input.length; split++) {
        const reader = new LineReader();
        const events = [...reader.push(input.subarray(0, split)), ...reader.push(input.subarray(split))];
        assert.deepEqual(events, expected, `split at ${split}`);
      }
    });
  }

  it('accepts a line of exactly the cap, ending in CRLF or in LF', () => {
    const line = 'A'.repeat(16);
    assert.deepEqual(new LineReader(16).push(bytes(line, '\r\n')), lines(line));
    assert.deepEqual(new LineReader(16).push(bytes(line, '\n')), lines(line));
  });

  it('reports an overlong line as an overflow with its size, then reads the next line normally', () => {
    const reader = new LineReader(16);
    const overlong = 'B'.repeat(40);
    assert.deepEqual(reader.push(bytes(overlong.slice(0, 20))), []);
    assert.equal(reader.isDiscardingOverlongLine, true);
    assert.ok(reader.pendingBytes <= 16);
    assert.deepEqual(reader.push(bytes(overlong.slice(20), '\r\nQUIT\r\n')), [
      { kind: 'overflow', discardedBytes: 40 },
      { kind: 'line', line: 'QUIT' },
    ]);
    assert.equal(reader.isDiscardingOverlongLine, false);
  });

  it('caps the default command line at 4096 bytes like vsftpd', () => {
    assert.equal(defaultMaxCommandLineBytes, 4096);
    const reader = new LineReader();
    const events = reader.push(bytes('X'.repeat(4097), '\r\n', 'X'.repeat(4096), '\r\n'));
    assert.deepEqual(events, [{ kind: 'overflow', discardedBytes: 4097 }, ...lines('X'.repeat(4096))]);
  });

  it('never holds more than the cap while a long line streams in', () => {
    const reader = new LineReader(32);
    for (let index = 0; index < 1000; index++) {
      reader.push(bytes('Y'.repeat(7)));
      assert.ok(reader.pendingBytes <= 32);
    }
  });

  it('gives the same events whether bytes come whole, one at a time or in random chunks', () => {
    let seed = 11;
    const random = (limit: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // the same inputs every run
      return (seed >>> 8) % limit;
    };
    const pieces: (string | number[])[] = ['USER a', 'PASS b', 'x'.repeat(40), 'é', '', ' ', '\0', '\r', '\n', '\r\n', '\r\0', [IAC, IAC], [IAC, IP], [IAC, DM], [IAC, WILL, 1], [IAC, DO, 3], [0xc3, 0xa9], [0xff]];
    for (let round = 0; round < 300; round++) {
      const parts: (string | number[])[] = [];
      for (let count = random(12); count >= 0; count--) parts.push(pieces[random(pieces.length)]!);
      const input = bytes(...parts);
      const reference = (() => {
        const reader = new LineReader(48);
        return [...input].flatMap((byte) => reader.push(Uint8Array.of(byte)));
      })();
      const whole = new LineReader(48).push(input);
      assert.deepEqual(whole, reference, `whole: ${JSON.stringify(input.toString('latin1'))}`);
      const chunked = new LineReader(48);
      const events: LineEvent[] = [];
      for (let at = 0; at < input.length; ) {
        const size = 1 + random(8);
        events.push(...chunked.push(input.subarray(at, at + size)));
        at += size;
      }
      assert.deepEqual(events, reference, `chunked: ${JSON.stringify(input.toString('latin1'))}`);
    }
  });

  it('takes a line of exactly the cap, and reports one byte more as an overflow', () => {
    assert.deepEqual(new LineReader(8).push(bytes('ABCDEFGH\r\nNOOP\r\n')), lines('ABCDEFGH', 'NOOP'));
    assert.deepEqual(new LineReader(8).push(bytes('ABCDEFGHI\r\nNOOP\r\n')), [{ kind: 'overflow', discardedBytes: 9 }, ...lines('NOOP')]);
  });

  it('reports pendingBytes for a partial line', () => {
    const reader = new LineReader();
    reader.push(bytes('USER'));
    assert.equal(reader.pendingBytes, 4);
    reader.push(bytes('\r\n'));
    assert.equal(reader.pendingBytes, 0);
  });
});

describe('decodeCommandBytes', () => {
  const cases: { title: string; input: number[]; expected: string }[] = [
    { title: 'decodes ASCII unchanged', input: [0x61, 0x62], expected: 'ab' },
    { title: 'decodes valid UTF-8', input: [0xc3, 0xa9], expected: 'é' },
    { title: 'reads a truncated UTF-8 sequence as Latin-1', input: [0x61, 0xc3], expected: 'a\u00c3' },
    { title: 'reads every byte 0x80-0xFF alone as its Latin-1 character', input: [0xff, 0x80], expected: '\u00ff\u0080' },
  ];
  for (const { title, input, expected } of cases) {
    it(title, () => assert.equal(decodeCommandBytes(Uint8Array.from(input)), expected));
  }
});
