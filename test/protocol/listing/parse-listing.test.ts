import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { FileEntry } from '../../../src/protocol/listing/file-entry.js';
import { detectListingFormat, parseListing, splitListingLines, type ListingFormat } from '../../../src/protocol/listing/parse-listing.js';

/** The instant the captured fixtures were taken; year-less dates are placed relative to it. */
const capturedAt = new Date('2026-11-22T07:45:22Z');

// Fixtures are not compiled: from dist/test/… read them in the source tree's test/….
const fixturesDirectory = fileURLToPath(new URL('../../fixtures/listings/', import.meta.url)).replace(
  `${sep}dist${sep}test${sep}`,
  `${sep}test${sep}`,
);

function fixture(name: string): string {
  return readFileSync(join(fixturesDirectory, name), 'utf8');
}

const at = (iso: string): Date => new Date(`${iso}Z`);

type Expected = Omit<FileEntry, 'modifiedAt'> & { modifiedAt?: Date };

const fixtures: { file: string; format: ListingFormat; expected: Expected[] }[] = [
  {
    file: 'vsftpd-list.txt',
    format: 'unix',
    expected: [
      { name: ' leading and trailing  ', type: 'file', size: 1234, modifiedAt: at('2024-01-10T00:00'), mode: 0o644, owner: '0', group: '0' },
      { name: 'dir with spaces', type: 'directory', size: 4096, modifiedAt: at('2019-03-05T00:00'), mode: 0o755, owner: '0', group: '0' },
      { name: 'latest', type: 'symlink', size: 10, modifiedAt: at('2021-02-01T00:00'), mode: 0o777, owner: '0', group: '0', linkTarget: 'pub/target' },
      { name: 'new year.txt', type: 'file', size: 12, modifiedAt: at('2023-12-31T00:00'), mode: 0o600, owner: '0', group: '0' },
      { name: 'old.bin', type: 'file', size: 5000, modifiedAt: at('2021-01-15T00:00'), mode: 0o4755, owner: '0', group: '0' },
      { name: 'pub', type: 'directory', size: 4096, modifiedAt: at('2020-05-05T00:00'), mode: 0o755, owner: '0', group: '0' },
      { name: 'recent.txt', type: 'file', size: 3, modifiedAt: at('2026-11-20T07:45'), mode: 0o644, owner: '0', group: '0' },
    ],
  },
  {
    file: 'gnu-ls.txt',
    format: 'unix',
    expected: [
      { name: 'fifo', type: 'unknown', size: 0, modifiedAt: at('2026-11-21T10:00'), mode: 0o644, owner: 'root', group: 'root' },
      { name: 'hosts', type: 'symlink', size: 10, modifiedAt: at('2025-03-01T00:00'), mode: 0o777, owner: 'root', group: 'root', linkTarget: '/etc/hosts' },
      { name: 'name -> looks like link', type: 'file', size: 3, modifiedAt: at('2026-11-21T10:00'), mode: 0o644, owner: 'root', group: 'root' },
      { name: 'null', type: 'unknown', size: 0, modifiedAt: at('2026-11-21T10:00'), mode: 0o644, owner: 'root', group: 'root' },
      { name: 'sda', type: 'unknown', size: 0, modifiedAt: at('2026-11-21T10:00'), mode: 0o644, owner: 'root', group: 'root' },
      { name: 'setgid', type: 'file', size: 2, modifiedAt: at('2026-11-21T10:00'), mode: 0o2750, owner: 'root', group: 'root' },
      { name: 'sticky', type: 'directory', size: 4096, modifiedAt: at('2026-11-21T10:00'), mode: 0o1777, owner: 'root', group: 'root' },
    ],
  },
  {
    file: 'proftpd-list.txt',
    format: 'unix',
    expected: [
      { name: 'incoming', type: 'directory', size: 4096, modifiedAt: at('2026-11-20T09:15'), mode: 0o755, owner: 'ftp', group: 'ftp' },
      { name: 'file.txt', type: 'file', size: 1234, modifiedAt: at('2025-03-05T00:00'), mode: 0o644, owner: 'ftp', group: 'ftp' },
      { name: 'report 2026.pdf', type: 'file', size: 7340032, modifiedAt: at('2026-11-21T23:59'), mode: 0o644, owner: 'alice', group: 'staff' },
      { name: 'leap', type: 'symlink', size: 13, modifiedAt: at('2024-02-29T00:00'), mode: 0o777, owner: 'ftp', group: 'ftp', linkTarget: '/srv/leap.txt' },
      { name: 'clock-skew.txt', type: 'file', size: 0, modifiedAt: at('2026-11-23T01:00'), mode: 0o644, owner: 'ftp', group: 'ftp' },
    ],
  },
  {
    file: 'pure-ftpd-list.txt',
    format: 'unix',
    expected: [
      { name: 'video.mp4', type: 'file', size: 5242880, modifiedAt: at('2026-11-01T14:03'), mode: 0o644, owner: '1000', group: '1000' },
      { name: 'a  b  c', type: 'file', size: 6, modifiedAt: at('2023-10-31T00:00'), mode: 0o644, owner: '1000', group: '1000' },
      { name: 'private', type: 'directory', size: 4096, modifiedAt: at('2026-06-01T12:00'), mode: 0o700, owner: '1000', group: '1000' },
    ],
  },
  {
    file: 'busybox-list.txt',
    format: 'unix',
    expected: [
      { name: 'file', type: 'file', size: 1234, modifiedAt: at('2026-11-20T14:03'), mode: 0o644, owner: '0', group: '0' },
      { name: 'empty', type: 'directory', size: 0, modifiedAt: at('1970-01-01T00:00'), mode: 0o755, owner: '0', group: '0' },
      { name: 'link', type: 'symlink', size: 11, modifiedAt: at('2026-11-20T14:03'), mode: 0o777, owner: '0', group: '0', linkTarget: '/tmp/target' },
      { name: 'null', type: 'unknown', size: 0, modifiedAt: at('2026-11-20T14:03'), mode: 0o666, owner: '0', group: '0' },
    ],
  },
  {
    file: 'unix-variants-list.txt',
    format: 'unix',
    expected: [
      { name: 'acl.txt', type: 'file', size: 10, modifiedAt: at('2026-11-20T14:03'), mode: 0o644, owner: 'alice', group: 'staff' },
      { name: 'mac-xattr.txt', type: 'file', size: 20, modifiedAt: at('2026-11-20T14:03'), mode: 0o644, owner: 'alice', group: 'staff' },
      { name: 'selinux.txt', type: 'file', size: 30, modifiedAt: at('2026-11-20T14:03'), mode: 0o644, owner: 'alice', group: 'alice' },
      { name: 'no-group', type: 'file', size: 5, modifiedAt: at('2026-11-20T14:03'), mode: 0o644, owner: 'alice' },
    ],
  },
  {
    file: 'iis-dos-list.txt',
    format: 'dos',
    expected: [
      { name: 'epsgroup', type: 'directory', size: 0, modifiedAt: at('2002-01-16T11:14') },
      { name: 'index.html', type: 'file', size: 1786, modifiedAt: at('2003-06-05T15:19') },
      { name: 'a b.txt', type: 'file', size: 1234, modifiedAt: at('2023-10-10T21:03') },
      { name: 'midnight.txt', type: 'file', size: 0, modifiedAt: at('1999-12-31T00:00') },
      { name: '24h-clock.log', type: 'file', size: 512, modifiedAt: at('2026-07-04T13:45') },
    ],
  },
  {
    file: 'mlsd-vsftpd-like.txt',
    format: 'mlsd',
    expected: [
      { name: 'incoming', type: 'directory', size: 0, modifiedAt: at('2026-11-20T09:15:00'), mode: 0o755, uniqueId: '803g2' },
      { name: 'file with spaces.txt', type: 'file', size: 1234, modifiedAt: at('2025-03-05T14:03:12'), mode: 0o644, uniqueId: '803g3' },
      { name: ' leading space', type: 'file', size: 0, modifiedAt: at('2026-11-21T23:59:59.123'), mode: 0o444 },
    ],
  },
  {
    file: 'mlsd-proftpd.txt',
    format: 'mlsd',
    expected: [
      {
        name: 'file.txt', type: 'file', size: 1234, modifiedAt: at('2025-03-05T14:03:12'), mode: 0o644,
        owner: 'alice', group: 'alice', uniqueId: 'FD00U1A2B3D',
      },
      {
        name: 'shared', type: 'directory', size: 0, modifiedAt: at('2026-11-20T09:15:00'), mode: 0o2775,
        owner: 'alice', group: 'alice', uniqueId: 'FD00U1A2B3E',
      },
      {
        name: 'link-to-file', type: 'symlink', size: 13, modifiedAt: at('2025-01-01T00:00:00'), mode: 0o777,
        owner: 'alice', group: 'alice', uniqueId: 'FD00U1A2B3F', linkTarget: '/srv/ftp/file.txt',
      },
    ],
  },
  {
    file: 'mlsd-pure-ftpd.txt',
    format: 'mlsd',
    expected: [
      { name: 'video.mp4', type: 'file', size: 5242880, modifiedAt: at('2026-11-01T14:03:00'), mode: 0o644, owner: '1000', group: '1000', uniqueId: '803g1c2f6' },
      { name: 'private', type: 'directory', size: 4096, modifiedAt: at('2026-06-01T12:00:00'), mode: 0o700, owner: '1000', group: '1000', uniqueId: '803g1c2f7' },
    ],
  },
];

describe('parseListing on real server output', () => {
  for (const { file, format, expected } of fixtures) {
    it(`reads every entry of ${file}, skipping "total", ".", ".." and cdir/pdir`, () => {
      assert.deepEqual(parseListing(fixture(file), { now: capturedAt }), expected);
    });

    it(`reads ${file} the same with CRLF and with LF line ends`, () => {
      const text = fixture(file).replace(/\r\n/g, '\n');
      const crlf = text.replace(/\n/g, '\r\n');
      assert.deepEqual(parseListing(crlf, { now: capturedAt }), parseListing(text, { now: capturedAt }));
    });

    it(`detects ${file} as ${format}`, () => {
      assert.equal(detectListingFormat(splitListingLines(fixture(file)), capturedAt), format);
    });
  }

  it('reads the GNU long-iso and full-iso variants like the default format', () => {
    const plain = parseListing(fixture('gnu-ls.txt'), { now: capturedAt });
    assert.deepEqual(parseListing(fixture('gnu-ls-long-iso.txt'), { now: capturedAt }), plain);
    const numeric = parseListing(fixture('gnu-ls-full-iso-numeric.txt'), { now: capturedAt });
    assert.deepEqual(numeric, plain.map((entry) => ({ ...entry, owner: '0', group: '0' })));
  });
});

describe('parseListing', () => {
  const cases: { title: string; text: string; expectedNames: string[] }[] = [
    { title: 'returns nothing for empty text', text: '', expectedNames: [] },
    { title: 'skips blank and whitespace-only lines', text: '\r\n   \r\n\t\n', expectedNames: [] },
    { title: 'skips lines it cannot read', text: 'hello\n-rw-r--r-- 1 a b 1 Jan 01  2020 kept\nnot a listing\n', expectedNames: ['kept'] },
    {
      title: 'reads a listing that mixes formats line by line',
      text: 'type=file;size=1; m\r\n01-16-02  11:14AM       <DIR>          d\r\n-rw-r--r-- 1 a b 1 Jan 01  2020 u\r\n',
      expectedNames: ['m', 'd', 'u'],
    },
    { title: 'returns a name made of dots other than "." and ".."', text: '-rw-r--r-- 1 a b 1 Jan 01  2020 ...\n', expectedNames: ['...'] },
    {
      title: 'returns hostile names as given, for the client to validate',
      text: '-rw-r--r-- 1 a b 1 Jan 01  2020 ../../etc/passwd\ntype=file; /abs\\olute\n',
      expectedNames: ['../../etc/passwd', '/abs\\olute'],
    },
  ];
  for (const { title, text, expectedNames } of cases) {
    it(title, () => assert.deepEqual(parseListing(text, { now: capturedAt }).map((entry) => entry.name), expectedNames));
  }

  it('does not return the MLSD facts record on plain entries', () => {
    const [entry] = parseListing('type=file;size=1; m\n');
    assert.equal(entry !== undefined && 'facts' in entry, false);
  });

  it('detects an unknown format when no line is an entry', () => {
    assert.equal(detectListingFormat(['total 0', '', 'garbage']), 'unknown');
  });
});
