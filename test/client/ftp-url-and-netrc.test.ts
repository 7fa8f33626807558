/** ftp:// URL parsing (RFC 1738 §3.2) and ~/.netrc lookup, from tables of cases. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFtpUrl, displayFtpUrl, FtpUrlError } from '../../src/cli/client/ftp-url.js';
import { findNetrcEntry } from '../../src/cli/client/netrc.js';

describe('parseFtpUrl', () => {
  const cases: [string, ReturnType<typeof parseFtpUrl>][] = [
    ['ftp://host', { host: 'host', port: 21, user: undefined, password: undefined, path: '' }],
    ['ftp://host/', { host: 'host', port: 21, user: undefined, password: undefined, path: '' }],
    ['ftp://u:p@host:2121/dir/file.txt', { host: 'host', port: 2121, user: 'u', password: 'p', path: 'dir/file.txt' }],
    ['ftp://a%40b:p%3Ass@host/x', { host: 'host', port: 21, user: 'a@b', password: 'p:ss', path: 'x' }],
    ['ftp://host/dir/', { host: 'host', port: 21, user: undefined, password: undefined, path: 'dir/' }],
    ['ftp://host/with%20space', { host: 'host', port: 21, user: undefined, password: undefined, path: 'with space' }],
    ['ftp://host/%2Fetc/motd', { host: 'host', port: 21, user: undefined, password: undefined, path: '/etc/motd' }],
    ['ftp://[::1]:2121/a', { host: '::1', port: 2121, user: undefined, password: undefined, path: 'a' }],
  ];
  for (const [text, expected] of cases) {
    it(`parses ${text}`, () => assert.deepEqual(parseFtpUrl(text), expected));
  }
  for (const text of ['http://host/', 'not a url', 'ftp://host/%E0%A4%A']) {
    it(`refuses ${text}`, () => assert.throws(() => parseFtpUrl(text), FtpUrlError));
  }
  it('displays a URL without its password', () => {
    assert.equal(displayFtpUrl(parseFtpUrl('ftp://u:secret@[::1]:2121/a')), 'ftp://u@[::1]:2121/a');
  });
});

describe('findNetrcEntry', () => {
  const text = [
    '# comment line',
    'machine ftp.example.com login alice password "pa ss"',
    'macdef init',
    'machine evil login mallory password fromMacro',
    '',
    'machine other.example.com',
    '  login bob',
    '  password hunter2',
    'default login anonymous password guest@',
  ].join('\n');
  const cases: [string, ReturnType<typeof findNetrcEntry>][] = [
    ['ftp.example.com', { login: 'alice', password: 'pa ss' }],
    ['FTP.EXAMPLE.COM', { login: 'alice', password: 'pa ss' }],
    ['other.example.com', { login: 'bob', password: 'hunter2' }],
    ['evil', { login: 'anonymous', password: 'guest@' }],
    ['unknown.host', { login: 'anonymous', password: 'guest@' }],
  ];
  for (const [host, expected] of cases) {
    it(`finds ${host}`, () => assert.deepEqual(findNetrcEntry(text, host), expected));
  }
  it('returns null without a match or default', () => assert.equal(findNetrcEntry('machine a login b', 'c'), null));
});
