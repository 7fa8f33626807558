/** ftp:// URL parsing (RFC 1738 §3.2) and ~/.netrc lookup, from tables of cases. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFtpUrl, displayFtpUrl, FtpUrlError } from '../../src/cli/client/ftp-url.js';
import { findNetrcEntry } from '../../src/cli/client/netrc.js';

describe('parseFtpUrl', () => {
  const cases: [string, ReturnType<typeof parseFtpUrl>][] = [
    ['ftp://host', { isImplicitTls: false, host: 'host', port: 21, user: undefined, password: undefined, path: '' }],
    ['ftp://host/', { isImplicitTls: false, host: 'host', port: 21, user: undefined, password: undefined, path: '' }],
    ['ftp://u:p@host:2121/dir/file.txt', { isImplicitTls: false, host: 'host', port: 2121, user: 'u', password: 'p', path: 'dir/file.txt' }],
    ['ftp://a%40b:p%3Ass@host/x', { isImplicitTls: false, host: 'host', port: 21, user: 'a@b', password: 'p:ss', path: 'x' }],
    ['ftp://host/dir/', { isImplicitTls: false, host: 'host', port: 21, user: undefined, password: undefined, path: 'dir/' }],
    ['ftp://host/with%20space', { isImplicitTls: false, host: 'host', port: 21, user: undefined, password: undefined, path: 'with space' }],
    ['ftp://host/%2Fetc/motd', { isImplicitTls: false, host: 'host', port: 21, user: undefined, password: undefined, path: '/etc/motd' }],
    ['ftp://[::1]:2121/a', { isImplicitTls: false, host: '::1', port: 2121, user: undefined, password: undefined, path: 'a' }],
    ['ftps://host/a', { isImplicitTls: true, host: 'host', port: 990, user: undefined, password: undefined, path: 'a' }],
    ['ftps://u@host:2990/', { isImplicitTls: true, host: 'host', port: 2990, user: 'u', password: undefined, path: '' }],
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
  it('displays an ftps:// URL with its scheme, leaving out the default port 990', () => {
    assert.equal(displayFtpUrl(parseFtpUrl('ftps://u:secret@host:990/a')), 'ftps://u@host/a');
    assert.equal(displayFtpUrl(parseFtpUrl('ftps://host:21/a')), 'ftps://host:21/a');
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
