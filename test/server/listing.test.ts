import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMlsxLine } from '../../src/protocol/listing/mlsx.js';
import { parseUnixListLine } from '../../src/protocol/listing/unix-list.js';
import { setNativeDirectoryReaderEnabledForTest } from '../../src/native/native-addon.js';
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
  assert.deepEqual(await listOver(t, connection, 'NLST sub/inner'), ['sub/inner']);
});

test('a file name with CR or LF stays one line in NLST, as in LIST and MLSD, with and without the native reader', async (t) => {
  // Regression (hunt t12_names): NLST sent names raw, so this name forged a second entry.
  const { port, root } = await startTestServer(t);
  await mkdir(join(root, 'sub'));
  const forged = 'evil\r\n-rw-r--r-- 1 ftp ftp 999 Jan 01 2020 fake.txt';
  await writeFile(join(root, 'sub', forged), '');
  const shown = 'evil??-rw-r--r-- 1 ftp ftp 999 Jan 01 2020 fake.txt';
  const connection = await RawFtpConnection.login(t, port);
  t.after(() => setNativeDirectoryReaderEnabledForTest(true));
  for (const useNative of [true, false]) {
    setNativeDirectoryReaderEnabledForTest(useNative);
    assert.deepEqual(await listOver(t, connection, 'NLST sub'), [`sub/${shown}`]);
    await connection.expect('CWD sub', 250);
    assert.deepEqual(await listOver(t, connection, 'NLST'), [shown]);
    const list = await listOver(t, connection, 'LIST');
    assert.equal(list.length, 1);
    assert.ok(list[0]!.endsWith(` ${shown}`), list[0]);
    assert.deepEqual((await listOver(t, connection, 'MLSD')).map((line) => parseMlsxLine(line)?.name), [shown]);
    await connection.expect('CWD /', 250);
  }
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
  // JavaScript's order (UTF-16 units) puts U+1F600 before U+E000; code point order does not.
  for (const name of ['\u{1F600}.txt', '\uE000.txt', '\uFF5A.txt']) await writeFile(join(root, name), name);
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
  assert.equal(native[0]!.length, 2505, 'LIST: every file, sub and link; .hidden only with -a');
  assert.equal(native[1]!.length, 2506);
  assert.equal(native[3]!.length, 2506);
  assert.deepEqual(native, javaScript);
  assert.deepEqual(native[2], [...native[2]!].sort(), 'sorted as JavaScript sorts');
  const link = native[0]!.find((line) => line.includes(' link -> '));
  assert.match(link!, /^l.* link -> \/file-00001\.txt$/);
});

test('a directory over limits.maxListingEntries is refused with 451 before any data, with and without the native reader', async (t) => {
  const { port, root } = await startTestServer(t, { limits: { maxListingEntries: 100 } });
  for (let index = 0; index < 101; index++) await writeFile(join(root, `f${index}`), '');
  await writeFile(join(root, '.hidden'), '');
  const connection = await RawFtpConnection.login(t, port);
  t.after(() => setNativeDirectoryReaderEnabledForTest(true));
  for (const useNative of [true, false]) {
    setNativeDirectoryReaderEnabledForTest(useNative);
    await connection.openPassive(t);
    await connection.expect('LIST -a', 451);
    await connection.openPassive(t);
    await connection.expect('MLSD', 451);
    await rm(join(root, 'f0'));
    assert.equal((await listOver(t, connection, 'LIST')).length, 100, 'hidden files do not count without -a');
    await writeFile(join(root, 'f0'), '');
  }
});

/** Descriptors of this process (the server runs in it) open on `directory`. */
function descriptorsOn(directory: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === directory) open.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return open;
}

test('a listing cut short (data connection reset, ABOR) releases its directory and the session goes on', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async (t) => {
  const { port, root } = await startTestServer(t);
  const directory = join(realpathSync(root), 'many');
  await mkdir(directory);
  for (let index = 0; index < 6000; index++) await writeFile(join(directory, `file-${index}-${'x'.repeat(80)}`), '');
  const connection = await RawFtpConnection.login(t, port);
  for (let round = 0; round < 3; round++) {
    const data = await connection.openPassive(t);
    connection.write('LIST many\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    data.resetAndDestroy();
    const ending = await connection.nextReply();
    assert.ok([226, 426].includes(ending.replyCode), `after a reset: ${ending.replyCode}`);
  }
  const data = await connection.openPassive(t);
  connection.write('LIST many\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  data.pause(); // the listing waits on a full socket
  connection.write('ABOR\r\n');
  const replies = [await connection.nextReply(), await connection.nextReply()];
  assert.ok(replies.some((reply) => reply.replyCode === 226 || reply.replyCode === 225), replies.map((reply) => reply.replyCode).join(' '));
  data.destroy();
  for (let wait = 0; wait < 50 && descriptorsOn(directory).length > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(descriptorsOn(directory), [], 'no descriptor left open on the listed directory');
  assert.equal((await listOver(t, connection, 'NLST many')).length, 6000);
});
