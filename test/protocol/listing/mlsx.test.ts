import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileEntry } from '../../../src/protocol/listing/file-entry.js';
import {
  formatFtpTimestamp,
  formatMlstFeatLine,
  formatMlsxFacts,
  formatMlsxLine,
  parseFtpTimestamp,
  parseMlsxLine,
  parseOptsMlst,
  supportedMlsxFacts,
  type MlsxEntry,
} from '../../../src/protocol/listing/mlsx.js';

const at = (iso: string): Date => new Date(`${iso}Z`);
const file: FileEntry = { name: 'a.txt', type: 'file', size: 12, modifiedAt: at('2024-01-01T12:00:00'), mode: 0o644, uniqueId: 'u1' };

describe('formatFtpTimestamp (RFC 3659 §2.3)', () => {
  const cases: { title: string; date: Date; includeMilliseconds?: boolean; expected: string }[] = [
    { title: 'writes YYYYMMDDHHMMSS in UTC', date: at('2024-03-05T14:03:07'), expected: '20240305140307' },
    { title: 'drops milliseconds by default', date: at('2024-03-05T14:03:07.250'), expected: '20240305140307' },
    { title: 'writes milliseconds when asked and not zero', date: at('2024-03-05T14:03:07.005'), includeMilliseconds: true, expected: '20240305140307.005' },
    { title: 'omits zero milliseconds even when asked', date: at('2024-03-05T14:03:07'), includeMilliseconds: true, expected: '20240305140307' },
  ];
  for (const { title, date, includeMilliseconds, expected } of cases) {
    it(title, () => assert.equal(formatFtpTimestamp(date, { includeMilliseconds }), expected));
  }

  it('pads years below 1000 to four digits', () => {
    const date = new Date(0);
    date.setUTCFullYear(999, 0, 2);
    assert.equal(formatFtpTimestamp(date), '09990102000000');
  });

  it('refuses an invalid date or a year the syntax cannot hold', () => {
    assert.throws(() => formatFtpTimestamp(new Date(Number.NaN)), RangeError);
    assert.throws(() => formatFtpTimestamp(new Date(Date.UTC(10000, 0, 1))), RangeError);
  });
});

describe('parseFtpTimestamp', () => {
  const cases: { title: string; text: string; expected: Date | null }[] = [
    { title: 'reads YYYYMMDDHHMMSS as UTC', text: '20240305140307', expected: at('2024-03-05T14:03:07') },
    { title: 'reads a fraction of a second', text: '20240305140307.5', expected: at('2024-03-05T14:03:07.500') },
    { title: 'reads milliseconds and ignores finer digits', text: '20240305140307.123456', expected: at('2024-03-05T14:03:07.123') },
    { title: 'reads 29 February of a leap year', text: '20240229000000', expected: at('2024-02-29T00:00:00') },
    { title: 'reads a year below 100 literally', text: '00500101000000', expected: (() => { const d = new Date(0); d.setUTCFullYear(50, 0, 1); return d; })() },
    { title: 'rejects month 13', text: '20241301000000', expected: null },
    { title: 'rejects month 0', text: '20240001000000', expected: null },
    { title: 'rejects 29 February of a common year', text: '20230229000000', expected: null },
    { title: 'rejects 31 April', text: '20240431000000', expected: null },
    { title: 'rejects hour 24', text: '20240101240000', expected: null },
    { title: 'rejects minute 60', text: '20240101006000', expected: null },
    { title: 'rejects too few digits', text: '2024010112000', expected: null },
    { title: 'rejects a trailing dot', text: '20240101120000.', expected: null },
    { title: 'rejects surrounding text', text: ' 20240101120000', expected: null },
    { title: 'rejects an empty string', text: '', expected: null },
  ];
  for (const { title, text, expected } of cases) {
    it(title, () => assert.deepEqual(parseFtpTimestamp(text), expected));
  }

  it('round-trips formatFtpTimestamp with milliseconds', () => {
    for (const iso of ['1970-01-01T00:00:00', '2024-02-29T23:59:59.999', '9999-12-31T23:59:59.001']) {
      assert.deepEqual(parseFtpTimestamp(formatFtpTimestamp(at(iso), { includeMilliseconds: true })), at(iso));
    }
  });
});

describe('formatMlsxFacts (RFC 3659 §7)', () => {
  const cases: { title: string; entry: FileEntry; perm?: string; requested?: string[]; expected: string }[] = [
    {
      title: 'writes all supported facts for a file',
      entry: file,
      expected: 'type=file;size=12;modify=20240101120000;perm=adfrw;unique=u1;unix.mode=0644;',
    },
    {
      title: 'writes type=dir and no size for a directory, with the default mode',
      entry: { name: 'd', type: 'directory', size: 4096, modifiedAt: at('2024-01-01T12:00:00') },
      perm: 'flcdmpe',
      expected: 'type=dir;modify=20240101120000;perm=flcdmpe;unix.mode=0755;',
    },
    {
      title: 'writes a symlink as OS.unix=slink with its target',
      entry: { name: 'l', type: 'symlink', size: 3, linkTarget: '/srv/x' },
      expected: 'type=OS.unix=slink:/srv/x;perm=adfrw;unix.mode=0777;',
    },
    {
      title: 'leaves out a symlink target that would break the fact syntax',
      entry: { name: 'l', type: 'symlink', size: 3, linkTarget: 'a; b' },
      expected: 'type=OS.unix=symlink;perm=adfrw;unix.mode=0777;',
    },
    {
      title: 'writes only the requested facts, matching names case-insensitively',
      entry: file,
      requested: ['Size', 'MODIFY', 'unix.MODE'],
      expected: 'size=12;modify=20240101120000;unix.mode=0644;',
    },
    { title: 'writes nothing when no fact is requested', entry: file, requested: [], expected: '' },
    {
      title: 'leaves out modify and unique when unknown',
      entry: { name: 'x', type: 'file', size: 0 },
      expected: 'type=file;size=0;perm=adfrw;unix.mode=0644;',
    },
    {
      title: 'strips ";" and spaces from a unique id so the facts stay parseable',
      entry: { ...file, uniqueId: 'a; b' },
      requested: ['unique'],
      expected: 'unique=ab;',
    },
    {
      title: 'writes special mode bits as four octal digits',
      entry: { ...file, mode: 0o104755 },
      requested: ['unix.mode'],
      expected: 'unix.mode=4755;',
    },
  ];
  for (const { title, entry, perm = 'adfrw', requested, expected } of cases) {
    it(title, () => {
      const options = requested ? { perm, requestedFacts: new Set(requested) } : { perm };
      assert.equal(formatMlsxFacts(entry, options), expected);
    });
  }

  it('writes a line as facts, one space, and the raw name', () => {
    assert.equal(formatMlsxLine({ ...file, name: ' a b ' }, { perm: 'r', requestedFacts: new Set(['type']) }), 'type=file;  a b ');
  });

  it('writes a given name instead of the entry name (MLST shows the path)', () => {
    assert.equal(formatMlsxLine(file, { perm: 'r', requestedFacts: new Set(['type']) }, '/dir/a.txt'), 'type=file; /dir/a.txt');
  });

  it('replaces CR and LF in the name so it cannot forge another line', () => {
    assert.equal(formatMlsxLine({ ...file, name: 'x\r\n250 End' }, { perm: 'r', requestedFacts: new Set(['type']) }), 'type=file; x??250 End');
  });
});

describe('MLST feature negotiation (RFC 3659 §7.8, §7.9)', () => {
  it('lists the supported facts in order', () => {
    assert.deepEqual(supportedMlsxFacts, ['type', 'size', 'modify', 'perm', 'unique', 'unix.mode']);
  });

  const featCases: { title: string; enabled: string[]; expected: string }[] = [
    { title: 'marks every enabled fact with "*"', enabled: [...supportedMlsxFacts], expected: 'MLST type*;size*;modify*;perm*;unique*;unix.mode*;' },
    { title: 'lists disabled facts without "*"', enabled: ['size', 'TYPE'], expected: 'MLST type*;size*;modify;perm;unique;unix.mode;' },
    { title: 'lists all facts unmarked when none is enabled', enabled: [], expected: 'MLST type;size;modify;perm;unique;unix.mode;' },
  ];
  for (const { title, enabled, expected } of featCases) {
    it(title, () => assert.equal(formatMlstFeatLine(new Set(enabled)), expected));
  }

  const optsCases: { title: string; argument: string; expected: string[] }[] = [
    { title: 'selects the listed facts', argument: 'type;size;', expected: ['type', 'size'] },
    { title: 'lower-cases fact names', argument: 'Type;UNIX.mode;', expected: ['type', 'unix.mode'] },
    { title: 'ignores unknown facts', argument: 'type;charset;media-type;', expected: ['type'] },
    { title: 'accepts a list without the final ";"', argument: 'size;modify', expected: ['size', 'modify'] },
    { title: 'selects nothing for an empty list', argument: '', expected: [] },
    { title: 'accepts the argument with the MLST word', argument: 'MLST type;perm;', expected: ['type', 'perm'] },
    { title: 'selects nothing for "MLST" alone', argument: 'mlst', expected: [] },
  ];
  for (const { title, argument, expected } of optsCases) {
    it(title, () => assert.deepEqual([...parseOptsMlst(argument)], expected));
  }
});

describe('parseMlsxLine', () => {
  type Expected = Omit<MlsxEntry, 'facts'> & { facts: Record<string, string> };
  const cases: { title: string; line: string; expected: Expected | null }[] = [
    {
      title: 'reads facts and name, lower-casing fact names',
      line: 'Type=file;Size=12;Modify=20240101120000;Perm=r;Unique=U1;UNIX.mode=0644; a.txt',
      expected: {
        name: 'a.txt', type: 'file', size: 12, modifiedAt: at('2024-01-01T12:00:00'), mode: 0o644, uniqueId: 'U1',
        facts: { type: 'file', size: '12', modify: '20240101120000', perm: 'r', unique: 'U1', 'unix.mode': '0644' },
      },
    },
    {
      title: 'tolerates the leading space of an MLST reply line',
      line: ' type=dir;modify=20240101120000; /pub/dir',
      expected: { name: '/pub/dir', type: 'directory', size: 0, modifiedAt: at('2024-01-01T12:00:00'), facts: { type: 'dir', modify: '20240101120000' } },
    },
    {
      title: 'returns cdir as a directory and keeps facts.type',
      line: 'type=cdir;perm=el; /home',
      expected: { name: '/home', type: 'directory', size: 0, facts: { type: 'cdir', perm: 'el' } },
    },
    {
      title: 'returns pdir as a directory and keeps facts.type',
      line: 'type=pdir; ..',
      expected: { name: '..', type: 'directory', size: 0, facts: { type: 'pdir' } },
    },
    {
      title: 'reads OS.unix=slink with its target',
      line: 'type=OS.unix=slink:/srv/t;size=5; l',
      expected: { name: 'l', type: 'symlink', size: 5, linkTarget: '/srv/t', facts: { type: 'OS.unix=slink:/srv/t', size: '5' } },
    },
    {
      title: 'reads OS.unix=symlink',
      line: 'type=OS.unix=symlink; l',
      expected: { name: 'l', type: 'symlink', size: 0, facts: { type: 'OS.unix=symlink' } },
    },
    {
      title: 'reads an unknown type as unknown',
      line: 'type=OS.unix=chr-1/3; null',
      expected: { name: 'null', type: 'unknown', size: 0, facts: { type: 'OS.unix=chr-1/3' } },
    },
    {
      title: 'keeps leading and trailing spaces of the name',
      line: 'type=file;  spaced  ',
      expected: { name: ' spaced  ', type: 'file', size: 0, facts: { type: 'file' } },
    },
    {
      title: 'uses sizd for a directory size',
      line: 'type=dir;sizd=4096; d',
      expected: { name: 'd', type: 'directory', size: 4096, facts: { type: 'dir', sizd: '4096' } },
    },
    {
      title: 'reads owner and group from UNIX.owner/group or uid/gid',
      line: 'type=file;UNIX.uid=1000;UNIX.gid=100; f',
      expected: { name: 'f', type: 'file', size: 0, owner: '1000', group: '100', facts: { type: 'file', 'unix.uid': '1000', 'unix.gid': '100' } },
    },
    {
      title: 'reads facts without the final ";"',
      line: 'type=file;size=3 f',
      expected: { name: 'f', type: 'file', size: 3, facts: { type: 'file', size: '3' } },
    },
    {
      title: 'reads a fact value with a space when the facts end in "; "',
      line: 'type=file;UNIX.ownername=John Doe; my file',
      expected: { name: 'my file', type: 'file', size: 0, owner: 'John Doe', facts: { type: 'file', 'unix.ownername': 'John Doe' } },
    },
    {
      title: 'ignores a malformed size and modify',
      line: 'type=file;size=-1;modify=2024; f',
      expected: { name: 'f', type: 'file', size: 0, facts: { type: 'file', size: '-1', modify: '2024' } },
    },
    {
      title: 'treats "__proto__" as an ordinary fact',
      line: '__proto__=x;type=file; f',
      expected: { name: 'f', type: 'file', size: 0, facts: Object.fromEntries([['__proto__', 'x'], ['type', 'file']]) },
    },
    { title: 'returns null without facts', line: ' name', expected: null },
    { title: 'returns null without a name', line: 'type=file;', expected: null },
    { title: 'returns null for an empty name', line: 'type=file; ', expected: null },
    { title: 'returns null for a fact without "="', line: 'type=file;bogus; f', expected: null },
    { title: 'returns null for a Unix line', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 a=b; c', expected: null },
    { title: 'returns null for an empty line', line: '', expected: null },
  ];
  for (const { title, line, expected } of cases) {
    it(title, () => {
      const parsed = parseMlsxLine(line);
      if (expected === null) return assert.equal(parsed, null);
      assert.ok(parsed);
      const { facts, ...entry } = parsed;
      const { facts: expectedFacts, ...expectedEntry } = expected;
      assert.deepEqual(entry, expectedEntry);
      assert.deepEqual({ ...facts }, { ...expectedFacts });
      assert.deepEqual(Object.keys(facts), Object.keys(expectedFacts));
    });
  }
});

describe('MLSD round trip', () => {
  const entries: FileEntry[] = [
    file,
    { name: ' spaced name ', type: 'file', size: 0, modifiedAt: at('1999-12-31T23:59:59'), mode: 0o600, uniqueId: 'x.1' },
    { name: 'dir', type: 'directory', size: 0, modifiedAt: at('2024-02-29T00:00:00'), mode: 0o2775, uniqueId: 'd' },
    { name: 'link', type: 'symlink', size: 0, modifiedAt: at('2024-01-01T00:00:00'), mode: 0o777, linkTarget: '../t', uniqueId: 'l' },
    { name: 'weird;=name', type: 'file', size: 9_007_199_254_740_991, modifiedAt: at('2024-01-01T00:00:00'), mode: 0o4755, uniqueId: 'w' },
  ];
  for (const entry of entries) {
    it(`parses back what it formats for ${JSON.stringify(entry.name)}`, () => {
      const parsed = parseMlsxLine(formatMlsxLine(entry, { perm: 'adfrw' }));
      assert.ok(parsed);
      const { facts, ...rest } = parsed;
      assert.deepEqual(rest, entry);
      assert.equal(facts['perm'], 'adfrw');
    });
  }
});
