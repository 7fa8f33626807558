import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileEntry } from '../../../src/protocol/listing/file-entry.js';
import { formatModeBits, formatUnixListLine, parseUnixListLine, unixListLineMaxBytes, writeUnixListLine } from '../../../src/protocol/listing/unix-list.js';

const now = new Date('2024-06-15T12:00:00Z');
const at = (iso: string): Date => new Date(`${iso}Z`);

describe('formatUnixListLine', () => {
  const cases: { title: string; entry: FileEntry; expected: string }[] = [
    {
      title: 'writes a recent file like vsftpd, with the time of day',
      entry: { name: 'name', type: 'file', size: 1234, modifiedAt: at('2024-03-05T14:03:00') },
      expected: '-rw-r--r--    1 ftp      ftp          1234 Mar 05 14:03 name',
    },
    {
      title: 'writes a file older than six months with the year',
      entry: { name: 'old', type: 'file', size: 1, modifiedAt: at('2023-12-01T10:00:00') },
      expected: '-rw-r--r--    1 ftp      ftp             1 Dec 01  2023 old',
    },
    {
      title: 'writes a file up to a day in the future with the time',
      entry: { name: 'skew', type: 'file', size: 0, modifiedAt: at('2024-06-16T06:30:00') },
      expected: '-rw-r--r--    1 ftp      ftp             0 Jun 16 06:30 skew',
    },
    {
      title: 'writes a file further in the future with the year',
      entry: { name: 'future', type: 'file', size: 0, modifiedAt: at('2024-07-01T00:00:00') },
      expected: '-rw-r--r--    1 ftp      ftp             0 Jul 01  2024 future',
    },
    {
      title: 'writes a directory with drwxr-xr-x by default',
      entry: { name: 'pub', type: 'directory', size: 4096, modifiedAt: at('2024-06-01T00:00:00') },
      expected: 'drwxr-xr-x    1 ftp      ftp          4096 Jun 01 00:00 pub',
    },
    {
      title: 'writes a symlink with its target',
      entry: { name: 'latest', type: 'symlink', size: 7, linkTarget: 'v1/file', modifiedAt: at('2024-06-01T00:00:00') },
      expected: 'lrwxrwxrwx    1 ftp      ftp             7 Jun 01 00:00 latest -> v1/file',
    },
    {
      title: 'uses the entry mode, owner and group',
      entry: { name: 'x', type: 'file', size: 5, mode: 0o4750, owner: 'alice', group: 'staff', modifiedAt: at('2024-06-01T00:00:00') },
      expected: '-rwsr-x---    1 alice    staff           5 Jun 01 00:00 x',
    },
    {
      title: 'keeps spaces in names raw',
      entry: { name: '  two  spaces  ', type: 'file', size: 0, modifiedAt: at('2024-06-01T00:00:00') },
      expected: '-rw-r--r--    1 ftp      ftp             0 Jun 01 00:00   two  spaces  ',
    },
    {
      title: 'replaces CR and LF in a name so one entry is one line',
      entry: { name: 'a\r\n-rw-r--r-- fake', type: 'file', size: 0, modifiedAt: at('2024-06-01T00:00:00') },
      expected: '-rw-r--r--    1 ftp      ftp             0 Jun 01 00:00 a??-rw-r--r-- fake',
    },
    {
      title: 'replaces spaces in owner and group so the columns stay aligned',
      entry: { name: 'x', type: 'file', size: 0, owner: 'John Doe', group: '', modifiedAt: at('2024-06-01T00:00:00') },
      expected: '-rw-r--r--    1 John_Doe ftp             0 Jun 01 00:00 x',
    },
    {
      title: 'writes an unknown date as the epoch',
      entry: { name: 'x', type: 'file', size: 0 },
      expected: '-rw-r--r--    1 ftp      ftp             0 Jan 01  1970 x',
    },
    {
      title: 'writes sizes wider than the column in full',
      entry: { name: 'big', type: 'file', size: 10 ** 12, modifiedAt: at('2020-01-01T00:00:00') },
      expected: '-rw-r--r--    1 ftp      ftp      1000000000000 Jan 01  2020 big',
    },
  ];
  for (const { title, entry, expected } of cases) {
    it(title, () => assert.equal(formatUnixListLine(entry, now), expected));
  }

  it('formats the same minute in the time form or the year form depending on "now"', () => {
    const entry: FileEntry = { name: 'x', type: 'file', size: 0, modifiedAt: at('2024-03-05T14:03:59') };
    const sameMinute: FileEntry = { ...entry, modifiedAt: at('2024-03-05T14:03:01') };
    assert.match(formatUnixListLine(entry, now), / Mar 05 14:03 x$/);
    assert.match(formatUnixListLine(sameMinute, now), / Mar 05 14:03 x$/);
    assert.match(formatUnixListLine(entry, new Date('2025-06-15T12:00:00Z')), / Mar 05  2024 x$/);
    assert.match(formatUnixListLine(entry, now), / Mar 05 14:03 x$/);
    assert.match(formatUnixListLine({ ...entry, modifiedAt: at('2024-03-05T14:04:00') }, now), / Mar 05 14:04 x$/);
  });
});

describe('writeUnixListLine', () => {
  /** Entries of every kind the formatter distinguishes, in a row (the caches see changes and repeats). */
  function variedEntries(): FileEntry[] {
    const entries: FileEntry[] = [];
    const names = ['plain.txt', 'ünïcødé 名前', '\u{1F600} emoji', 'cr\rlf\nnul\0', 'with  spaces ', ''];
    const sizes = [0, 7, 12345678, 123456789, 10 ** 15, Number.NaN, -5, 2.7];
    const times = [at('2024-03-05T14:03:00'), at('2024-03-05T14:03:30'), at('2001-02-03T04:05:06'), at('2024-06-16T10:00:00'), undefined, new Date(Number.NaN)];
    for (let index = 0; index < 240; index++) {
      const type = (['file', 'directory', 'symlink', 'unknown'] as const)[index % 4]!;
      const entry: { -readonly [Key in keyof FileEntry]: FileEntry[Key] } = { name: names[index % names.length]!, type, size: sizes[index % sizes.length]! };
      const time = times[Math.floor(index / 3) % times.length];
      if (time !== undefined) entry.modifiedAt = time;
      if (index % 5 !== 0) entry.mode = [0o644, 0o755, 0o4755, 0o1777, 0o600][index % 5];
      if (index % 7 === 1) entry.owner = index % 2 ? 'user name' : 'bénédicte';
      if (index % 11 === 2) entry.group = 'staff';
      if (type === 'symlink' && index % 3 !== 0) entry.linkTarget = index % 2 ? '/target/ünï' : '/t\nx';
      entries.push(entry);
    }
    return entries;
  }

  it('writes exactly the bytes of formatUnixListLine, for every kind of entry, one after another', () => {
    const entries = variedEntries();
    const buffer = Buffer.alloc(entries.reduce((total, entry) => total + unixListLineMaxBytes(entry), 0));
    let offset = 0;
    const expected: Buffer[] = [];
    for (const entry of entries) {
      const end = writeUnixListLine(entry, now, buffer, offset);
      assert.ok(end - offset <= unixListLineMaxBytes(entry), `room for ${entry.name}`);
      const line = formatUnixListLine(entry, now);
      assert.equal(buffer.toString('utf8', offset, end), line);
      expected.push(Buffer.from(line, 'utf8'));
      offset = end;
    }
    assert.ok(buffer.subarray(0, offset).equals(Buffer.concat(expected)));
  });
});

describe('formatModeBits', () => {
  const cases: [number, string][] = [
    [0o644, 'rw-r--r--'],
    [0o755, 'rwxr-xr-x'],
    [0o000, '---------'],
    [0o4755, 'rwsr-xr-x'],
    [0o4644, 'rwSr--r--'],
    [0o2750, 'rwxr-s---'],
    [0o2640, 'rw-r-S---'],
    [0o1777, 'rwxrwxrwt'],
    [0o1776, 'rwxrwxrwT'],
  ];
  for (const [mode, expected] of cases) {
    it(`writes 0o${mode.toString(8)} as ${expected}`, () => assert.equal(formatModeBits(mode), expected));
  }
});

describe('parseUnixListLine', () => {
  const cases: { title: string; line: string; expected: Partial<FileEntry> | null }[] = [
    {
      title: 'reads vsftpd output',
      line: '-rw-r--r--    1 ftp      ftp          1234 Mar 05 14:03 name',
      expected: { name: 'name', type: 'file', size: 1234, modifiedAt: at('2024-03-05T14:03:00'), mode: 0o644, owner: 'ftp', group: 'ftp' },
    },
    {
      title: 'places a time-form date more than a day ahead in the previous year',
      line: '-rw-r--r-- 1 a b 1 Dec 24 18:00 x',
      expected: { modifiedAt: at('2023-12-24T18:00:00') },
    },
    {
      title: 'places a time-form date up to a day ahead in the current year',
      line: '-rw-r--r-- 1 a b 1 Jun 16 11:00 x',
      expected: { modifiedAt: at('2024-06-16T11:00:00') },
    },
    {
      title: 'reads a day padded with a space and a year',
      line: 'drwxr-xr-x   2 ftp      ftp          4096 Jan  1  2020 dir',
      expected: { type: 'directory', modifiedAt: at('2020-01-01T00:00:00') },
    },
    {
      title: 'reads month names in any case',
      line: '-rw-r--r-- 1 a b 1 MAR 5 2021 x',
      expected: { modifiedAt: at('2021-03-05T00:00:00') },
    },
    {
      title: 'reads a time with seconds',
      line: '-rw-r--r-- 1 a b 1 Mar 5 14:03:59 x',
      expected: { modifiedAt: at('2024-03-05T14:03:00') },
    },
    { title: 'keeps leading spaces of a name', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03   lead', expected: { name: '  lead' } },
    { title: 'keeps trailing spaces of a name', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 trail  ', expected: { name: 'trail  ' } },
    { title: 'keeps runs of spaces inside a name', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 a   b', expected: { name: 'a   b' } },
    {
      title: 'does not mistake a date-like name for the date',
      line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 9 Jan 01 2020 x',
      expected: { name: '9 Jan 01 2020 x', modifiedAt: at('2024-03-05T14:03:00') },
    },
    {
      title: 'splits a symlink at the first " -> "',
      line: 'lrwxrwxrwx 1 a b 1 Mar 05 14:03 link -> target -> more',
      expected: { name: 'link', type: 'symlink', linkTarget: 'target -> more' },
    },
    {
      title: 'keeps " -> " in the name of a regular file',
      line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 a -> b',
      expected: { name: 'a -> b', type: 'file' },
    },
    { title: 'reads a symlink without a target', line: 'lrwxrwxrwx 1 a b 1 Mar 05 14:03 dangling', expected: { name: 'dangling', type: 'symlink' } },
    {
      title: 'reads a device file with "major, minor" as size 0',
      line: 'crw-rw-rw-   1 root     root       1,   3 Mar  5 14:03 null',
      expected: { name: 'null', type: 'unknown', size: 0, owner: 'root', group: 'root' },
    },
    { title: 'reads a device file written "1,3"', line: 'brw-rw---- 1 root disk 8,0 Mar  5 14:03 sda', expected: { name: 'sda', size: 0, group: 'disk' } },
    { title: 'reads an ACL "+" after the mode', line: '-rw-r--r--+ 1 a b 1 Mar 05 14:03 x', expected: { mode: 0o644 } },
    { title: 'reads a macOS "@" after the mode', line: 'drwxr-xr-x@ 1 a b 1 Mar 05 14:03 x', expected: { type: 'directory' } },
    { title: 'reads numeric owner and group', line: '-rw-r--r-- 1 1000 1000 1 Mar 05 14:03 x', expected: { owner: '1000', group: '1000' } },
    {
      title: 'reads a line without a group column',
      line: '-rw-r--r--   1 owner   1234 Mar 5 14:03 x',
      expected: { owner: 'owner', size: 1234 },
    },
    {
      title: 'reads a line without a link count column',
      line: '-rw-r--r-- owner group 12 Mar 5 14:03 x',
      expected: { owner: 'owner', group: 'group', size: 12 },
    },
    {
      title: 'reads a GNU long-iso date',
      line: '-rw-r--r-- 1 a b 1 2024-03-05 14:03 iso',
      expected: { name: 'iso', modifiedAt: at('2024-03-05T14:03:00') },
    },
    {
      title: 'reads a GNU full-iso date with its zone',
      line: '-rw-r--r-- 1 a b 1 2024-03-05 14:03:07.123456789 +0000 iso',
      expected: { name: 'iso', modifiedAt: at('2024-03-05T14:03:07') },
    },
    {
      title: 'places Feb 29 without a year in the latest leap year',
      line: '-rw-r--r-- 1 a b 1 Feb 29 10:00 leap',
      expected: { modifiedAt: at('2024-02-29T10:00:00') },
    },
    { title: 'returns null for a "total" line', line: 'total 48', expected: null },
    { title: 'returns null for an empty line', line: '', expected: null },
    { title: 'returns null for a DOS line', line: '01-16-02  11:14AM       <DIR>          epsgroup', expected: null },
    { title: 'returns null for an MLSD line', line: 'type=file;size=1; x', expected: null },
    { title: 'returns null when the name is missing', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 ', expected: null },
    { title: 'returns null for a bad mode', line: '-rw-r--r-Z 1 a b 1 Mar 05 14:03 x', expected: null },
    { title: 'returns null for an impossible date', line: '-rw-r--r-- 1 a b 1 Feb 30  2023 x', expected: null },
    { title: 'returns null for an impossible time', line: '-rw-r--r-- 1 a b 1 Feb 3 25:00 x', expected: null },
  ];
  for (const { title, line, expected } of cases) {
    it(title, () => {
      const entry = parseUnixListLine(line, now);
      if (expected === null) return assert.equal(entry, null);
      assert.ok(entry, 'expected an entry');
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(entry[key as keyof FileEntry], value, key);
      }
    });
  }

  it('uses the current time when no clock is given', () => {
    const entry = parseUnixListLine(`-rw-r--r-- 1 a b 1 Jan 01 00:00 x`);
    const year = entry?.modifiedAt?.getUTCFullYear() ?? 0;
    assert.ok(Math.abs(year - new Date().getUTCFullYear()) <= 1);
  });
});

describe('Unix listing round trip', () => {
  const dates = ['2024-06-15T11:59:00', '2024-01-01T00:00:00', '2023-12-31T23:59:00', '2024-06-16T11:00:00', '2019-02-28T08:00:00', '2024-02-29T23:00:00', '2023-12-18T12:01:00'];
  const entries: FileEntry[] = [
    { name: 'plain.txt', type: 'file', size: 42, mode: 0o640, owner: 'alice', group: 'staff' },
    { name: ' spaced  name ', type: 'file', size: 0, mode: 0o644, owner: 'ftp', group: 'ftp' },
    { name: 'dir', type: 'directory', size: 4096, mode: 0o2775, owner: '1000', group: '1000' },
    { name: 'link', type: 'symlink', size: 5, mode: 0o777, owner: 'ftp', group: 'ftp', linkTarget: '../a b' },
    { name: '-la', type: 'file', size: 9_007_199_254_740_991, mode: 0o4755, owner: 'root', group: 'root' },
  ];
  for (const entry of entries) {
    it(`parses back what it formats for ${JSON.stringify(entry.name)}`, () => {
      for (const iso of dates) {
        const modifiedAt = at(iso);
        const line = formatUnixListLine({ ...entry, modifiedAt }, now);
        const parsed = parseUnixListLine(line, now);
        const isRecent = / [A-Z][a-z]{2} \d\d \d\d:\d\d /.test(line);
        const expectedDate = isRecent ? modifiedAt : at(`${iso.slice(0, 10)}T00:00:00`);
        assert.deepEqual(parsed, { ...entry, modifiedAt: expectedDate }, line);
      }
    });
  }
});
