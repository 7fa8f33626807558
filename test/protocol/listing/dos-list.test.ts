import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDosListLine } from '../../../src/protocol/listing/dos-list.js';
import type { FileEntry } from '../../../src/protocol/listing/file-entry.js';

const at = (iso: string): Date => new Date(`${iso}Z`);

describe('parseDosListLine', () => {
  const cases: { title: string; line: string; expected: FileEntry | null }[] = [
    {
      title: 'reads an IIS directory line',
      line: '01-16-02  11:14AM       <DIR>          epsgroup',
      expected: { name: 'epsgroup', type: 'directory', size: 0, modifiedAt: at('2002-01-16T11:14:00') },
    },
    {
      title: 'reads a file with a four-digit year and a name with spaces',
      line: '10-10-2023  09:03PM              1234 a b.txt',
      expected: { name: 'a b.txt', type: 'file', size: 1234, modifiedAt: at('2023-10-10T21:03:00') },
    },
    {
      title: 'reads 12:xxAM as just after midnight',
      line: '12-31-99  12:05AM                    0 x',
      expected: { name: 'x', type: 'file', size: 0, modifiedAt: at('1999-12-31T00:05:00') },
    },
    {
      title: 'reads 12:xxPM as just after noon',
      line: '02-29-24  12:30PM                    7 leap',
      expected: { name: 'leap', type: 'file', size: 7, modifiedAt: at('2024-02-29T12:30:00') },
    },
    {
      title: 'reads a 24-hour clock',
      line: '07-04-2026  13:45                  512 log',
      expected: { name: 'log', type: 'file', size: 512, modifiedAt: at('2026-07-04T13:45:00') },
    },
    {
      title: 'reads lower-case am/pm with a space before it',
      line: '03-01-21  01:02 pm       <DIR>          d',
      expected: { name: 'd', type: 'directory', size: 0, modifiedAt: at('2021-03-01T13:02:00') },
    },
    {
      title: 'reads day-first dates when the first field cannot be a month',
      line: '25-12-2020  08:00                    1 xmas',
      expected: { name: 'xmas', type: 'file', size: 1, modifiedAt: at('2020-12-25T08:00:00') },
    },
    {
      title: 'keeps trailing spaces of a name',
      line: '01-01-20  01:00AM                    1 name  ',
      expected: { name: 'name  ', type: 'file', size: 1, modifiedAt: at('2020-01-01T01:00:00') },
    },
    { title: 'reads 70 as 1970', line: '01-01-70  01:00AM 1 x', expected: { name: 'x', type: 'file', size: 1, modifiedAt: at('1970-01-01T01:00:00') } },
    { title: 'returns null for a month 13 with day 13', line: '13-13-20  01:00AM 1 x', expected: null },
    { title: 'returns null for 30 February', line: '02-30-20  01:00AM 1 x', expected: null },
    { title: 'returns null for hour 13 with PM', line: '01-01-20  13:00PM 1 x', expected: null },
    { title: 'returns null for hour 0 with AM', line: '01-01-20  00:00AM 1 x', expected: null },
    { title: 'returns null for a Unix line', line: '-rw-r--r-- 1 a b 1 Mar 05 14:03 x', expected: null },
    { title: 'returns null without a name', line: '01-16-02  11:14AM       <DIR>', expected: null },
    { title: 'returns null for mixed date separators', line: '01-16/02  11:14AM 1 x', expected: null },
  ];
  for (const { title, line, expected } of cases) {
    it(title, () => assert.deepEqual(parseDosListLine(line), expected));
  }

  it('answers quickly for a hostile line of many spaces', () => {
    const started = performance.now();
    assert.equal(parseDosListLine('01-01-20' + ' '.repeat(50_000) + '01:00' + ' '.repeat(50_000) + 'AM' + ' '.repeat(50_000)), null);
    assert.ok(performance.now() - started < 500);
  });
});
