import assert from 'node:assert/strict';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMlsxLine } from '../../src/protocol/listing/mlsx.js';
import { parseUnixListLine } from '../../src/protocol/listing/unix-list.js';
import { setNativeDirectoryReaderEnabledForTest } from '../../src/storage/native-addon.js';
import { RawFtpConnection, readAll } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

async function listOver(t: Parameters<typeof startTestServer>[0], connection: RawFtpConnection, command: string): Promise<string[]> {
  const data = await connection.openPassive(t);
  connection.write(`${command}\r\n`);
  const opening = await connection.nextReply();
  assert.equal(opening.replyCode, 150, `${command}: ${opening.lines.join(' ')}`);
  const text = (await readAll(data)).toString('utf8');
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.ok(text === '' || text.endsWith('\r\n'), 'listing lines end with CRLF');
  return text.split('\r\n').filter((line) => line !== '');
}

async function populate(root: string): Promise<void> {
  await writeFile(join(root, 'recent.txt'), 'hello');
  await writeFile(join(root, 'old.txt'), 'x'.repeat(42));
  await utimes(join(root, 'old.txt'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  await writeFile(join(root, '.hidden'), '');
  await writeFile(join(root, 'with space.txt'), '');
  await mkdir(join(root, 'sub'));
}

test('LIST uses the ls -l format: time for recent files, year for old ones', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  const lines = await listOver(t, connection, 'LIST');
  const entries = lines.map((line) => parseUnixListLine(line));
  assert.deepEqual(entries.map((entry) => entry?.name).sort(), ['old.txt', 'recent.txt', 'sub', 'with space.txt']);
  const oldLine = lines.find((line) => line.endsWith(' old.txt'))!;
  assert.match(oldLine, /^-rw-r--r-- +1 ftp +ftp +42 Feb 03  2001 old\.txt$/);
  assert.match(lines.find((line) => line.endsWith(' recent.txt'))!, / \d\d:\d\d recent\.txt$/);
  assert.match(lines.find((line) => line.endsWith(' sub'))!, /^d/);
});

test('LIST -a and -la are options, not paths, and show hidden files', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  for (const command of ['LIST -a', 'LIST -la', 'LIST -la /']) {
    const names = (await listOver(t, connection, command)).map((line) => parseUnixListLine(line)?.name);
    assert.ok(names.includes('.hidden'), `${command} shows hidden files`);
  }
});

test('LIST of a single file lists just that file', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  const lines = await listOver(t, connection, 'LIST old.txt');
  assert.equal(lines.length, 1);
  assert.equal(parseUnixListLine(lines[0]!)?.size, 42);
});

test('LIST of a missing path gets 550 before any data connection is used', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.openPassive(t);
  await connection.expect('LIST nowhere', 550);
});

test('NLST sends names only', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  assert.deepEqual(await listOver(t, connection, 'NLST'), ['old.txt', 'recent.txt', 'sub', 'with space.txt']);
  await writeFile(join(root, 'sub', 'inner'), '');
  assert.deepEqual(await listOver(t, connection, 'NLST sub'), ['sub/inner']);
});

test('MLSD sends RFC 3659 facts for every entry', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  const entries = (await listOver(t, connection, 'MLSD')).map((line) => parseMlsxLine(line)!);
  const old = entries.find((entry) => entry.name === 'old.txt')!;
  assert.equal(old.facts.type, 'file');
  assert.equal(old.facts.size, '42');
  assert.equal(old.facts.modify, '20010203040506');
  assert.equal(old.facts.perm, 'adfrw');
  assert.equal(old.facts['unix.mode'], '0644');
  assert.ok(old.facts.unique);
  assert.equal(entries.find((entry) => entry.name === 'sub')!.facts.type, 'dir');
  assert.ok(entries.some((entry) => entry.name === '.hidden'));
  await connection.openPassive(t);
  await connection.expect('MLSD old.txt', 550);
});

test('MLST describes one path on the control connection', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  const reply = await connection.expect('MLST old.txt', 250);
  assert.equal(reply.lines.length, 3);
  const entry = parseMlsxLine(reply.lines[1]!.trimStart())!;
  assert.equal(entry.name, '/old.txt');
  assert.equal(entry.facts.size, '42');
});

test('STAT with a path lists it over the control connection', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  const connection = await RawFtpConnection.login(t, port);
  const reply = await connection.expect('STAT /', 213);
  assert.ok(reply.lines.some((line) => line.endsWith(' old.txt')));
});

test('anonymous listings show read-only perm facts', async (t) => {
  const { port, root } = await startTestServer(t, { anonymous: { enabled: true } });
  await populate(root);
  const connection = await RawFtpConnection.login(t, port, 'anonymous', 'x@y');
  const entries = (await listOver(t, connection, 'MLSD')).map((line) => parseMlsxLine(line)!);
  assert.equal(entries.find((entry) => entry.name === 'old.txt')!.facts.perm, 'r');
});

test('a symlink inside the root is listed as a link', async (t) => {
  const { port, root } = await startTestServer(t);
  await populate(root);
  await symlink('recent.txt', join(root, 'link'));
  const connection = await RawFtpConnection.login(t, port);
  const line = (await listOver(t, connection, 'LIST')).find((entry) => entry.includes(' link'))!;
  assert.match(line, /^l.* link -> /);
});

test('a big directory lists the same bytes with and without the native directory reader, in LIST, NLST and MLSD', async (t) => {
  const { port, root } = await startTestServer(t);
  for (let index = 0; index < 2500; index++) {
    const name = `file-${String(index).padStart(5, '0')}${index % 7 === 0 ? ' with space' : ''}.txt`;
    await writeFile(join(root, name), 'x'.repeat(index % 300));
    if (index % 400 === 0) await utimes(join(root, name), new Date('2001-02-03T04:05:06Z'), new Date(Date.UTC(2001, 1, 3, 4, 5, index % 60)));
  }
  await mkdir(join(root, 'sub'));
  await symlink('file-00001.txt', join(root, 'link'));
  await writeFile(join(root, '.hidden'), 'h');
  const connection = await RawFtpConnection.login(t, port);
  const listings = async (): Promise<string[][]> => [
    await listOver(t, connection, 'LIST'),
    await listOver(t, connection, 'LIST -a'),
    await listOver(t, connection, 'NLST'),
    await listOver(t, connection, 'MLSD'),
  ];
  const native = await listings();
  setNativeDirectoryReaderEnabledForTest(false);
  t.after(() => setNativeDirectoryReaderEnabledForTest(true));
  const javaScript = await listings();
  assert.equal(native[0]!.length, 2502, 'LIST: every file, sub and link; .hidden only with -a');
  assert.equal(native[1]!.length, 2503);
  assert.equal(native[3]!.length, 2503);
  assert.deepEqual(native, javaScript);
  const link = native[0]!.find((line) => line.includes(' link -> '));
  assert.match(link!, /^l.* link -> \/file-00001\.txt$/);
});
