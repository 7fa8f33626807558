import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll, writeAndEnd } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

type DataMode = 'PASV' | 'EPSV' | 'PORT' | 'EPRT';
const modes: DataMode[] = ['PASV', 'EPSV', 'PORT', 'EPRT'];

/** Prepare a data connection in the given mode; resolves to the connected data socket once the transfer command was sent. */
async function prepareData(t: Parameters<typeof startTestServer>[0], connection: RawFtpConnection, mode: DataMode) {
  if (mode === 'PASV' || mode === 'EPSV') {
    const socket = await connection.openPassive(t, mode);
    return () => Promise.resolve(socket);
  }
  const { accepted } = await connection.openActive(t, mode);
  return () => accepted;
}

for (const mode of modes) {
  test(`downloads a file byte-exact with RETR over ${mode}`, async (t) => {
    const { port, root } = await startTestServer(t);
    const payload = randomPayload(3 * 1024 * 1024 + 17);
    await writeFile(join(root, 'big.bin'), payload);
    const connection = await RawFtpConnection.login(t, port);
    await connection.expect('TYPE I', 200);
    const data = await prepareData(t, connection, mode);
    connection.write('RETR big.bin\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    const received = await readAll(await data());
    assert.equal((await connection.nextReply()).replyCode, 226);
    assert.equal(received.length, payload.length);
    assert.equal(sha256(received), sha256(payload));
  });

  test(`uploads a file byte-exact with STOR over ${mode} and replies 226 only after it is written`, async (t) => {
    const { port, root, server } = await startTestServer(t);
    const payload = randomPayload(2 * 1024 * 1024 + 5);
    const connection = await RawFtpConnection.login(t, port);
    await connection.expect('TYPE I', 200);
    const uploaded = once(server, 'uploadFinished');
    const data = await prepareData(t, connection, mode);
    connection.write('STOR up.bin\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    await writeAndEnd(await data(), payload);
    assert.equal((await connection.nextReply()).replyCode, 226);
    // 226 means complete: the file must already be whole on disk.
    const written = await readFile(join(root, 'up.bin'));
    assert.equal(written.length, payload.length);
    assert.equal(sha256(written), sha256(payload));
    const [event] = await uploaded;
    assert.equal(event.path, '/up.bin');
    assert.equal(event.bytes, payload.length);
  });
}

test('resumes a download from a REST offset', async (t) => {
  const { port, root } = await startTestServer(t);
  const payload = randomPayload(100000);
  await writeFile(join(root, 'file.bin'), payload);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  await connection.expect('REST 40000', 350);
  connection.write('RETR file.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  const received = await readAll(data);
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(received), sha256(payload.subarray(40000)));
});

test('resumes an upload from a REST offset', async (t) => {
  const { port, root } = await startTestServer(t);
  const payload = randomPayload(100000);
  await writeFile(join(root, 'file.bin'), payload.subarray(0, 30000));
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  await connection.expect('REST 30000', 350);
  connection.write('STOR file.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await writeAndEnd(data, payload.subarray(30000));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(await readFile(join(root, 'file.bin'))), sha256(payload));
});

test('appends with APPE', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'log.txt'), 'first\n');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  connection.write('APPE log.txt\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await writeAndEnd(data, Buffer.from('second\n'));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(await readFile(join(root, 'log.txt'), 'utf8'), 'first\nsecond\n');
});

test('STOU stores under a unique name and tells it', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'report.txt'), 'existing');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  connection.write('STOU report.txt\r\n');
  const opening = await connection.nextReply();
  assert.equal(opening.replyCode, 150);
  const name = /FILE: (.+)$/.exec(opening.lines[0]!)![1]!;
  assert.notEqual(name, 'report.txt');
  await writeAndEnd(data, Buffer.from('new content'));
  const done = await connection.nextReply();
  assert.equal(done.replyCode, 226);
  assert.match(done.lines[0]!, new RegExp(name.replace('.', '\\.')));
  assert.equal(await readFile(join(root, name), 'utf8'), 'new content');
  assert.equal(await readFile(join(root, 'report.txt'), 'utf8'), 'existing');
});

test('converts line ends in TYPE A both ways', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'unix.txt'), 'one\ntwo\n\nthree');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE A', 200);
  let data = await connection.openPassive(t);
  connection.write('RETR unix.txt\r\n');
  await connection.nextReply();
  assert.equal((await readAll(data)).toString(), 'one\r\ntwo\r\n\r\nthree');
  assert.equal((await connection.nextReply()).replyCode, 226);
  data = await connection.openPassive(t);
  connection.write('STOR dos.txt\r\n');
  await connection.nextReply();
  await writeAndEnd(data, Buffer.from('a\r\nb\r\n'));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(await readFile(join(root, 'dos.txt'), 'utf8'), 'a\nb\n');
});

test('ABOR during a download replies 426 then 226 and the session goes on', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'big.bin'), randomPayload(64 * 1024 * 1024));
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  data.pause(); // do not read: the transfer stays in progress
  connection.write('RETR big.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  connection.write('ABOR\r\n');
  assert.equal((await connection.nextReply()).replyCode, 426);
  assert.equal((await connection.nextReply()).replyCode, 226);
  await connection.expect('PWD', 257);
});

test('answers NOOP and STAT while a transfer runs', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'big.bin'), randomPayload(32 * 1024 * 1024));
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  data.pause();
  connection.write('RETR big.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await connection.expect('NOOP', 200);
  const status = await connection.expect('STAT', 211);
  assert.ok(status.lines.some((line) => line.startsWith('Transfer in progress')));
  data.resume();
  const received = await readAll(data);
  assert.equal(received.length, 32 * 1024 * 1024);
  assert.equal((await connection.nextReply()).replyCode, 226);
});

test('a client vanishing mid-upload leaves the server and other sessions working', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'keep.txt'), 'keep me');
  const other = await RawFtpConnection.login(t, port);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  connection.write('STOR partial.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  data.write(randomPayload(100000));
  await new Promise((resolve) => setTimeout(resolve, 50));
  data.resetAndDestroy();
  connection.socket.resetAndDestroy();
  await other.expect('NOOP', 200);
  assert.equal(await readFile(join(root, 'keep.txt'), 'utf8'), 'keep me');
  const fresh = await RawFtpConnection.login(t, port);
  await fresh.expect('SIZE keep.txt', 213);
});

test('a client vanishing mid-download releases the session', async (t) => {
  const { port, root, server } = await startTestServer(t);
  await writeFile(join(root, 'big.bin'), randomPayload(16 * 1024 * 1024));
  const connection = await RawFtpConnection.login(t, port);
  const data = await connection.openPassive(t);
  connection.write('RETR big.bin\r\n');
  await connection.nextReply();
  const closed = once(server, 'sessionClosed');
  data.resetAndDestroy();
  connection.socket.resetAndDestroy();
  await closed;
  assert.equal(server.sessionCount, 0);
  assert.equal((await stat(join(root, 'big.bin'))).size, 16 * 1024 * 1024);
});

test('RETR without PASV or PORT gets 425 without a 150 first', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'f.txt'), 'x');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('RETR f.txt', 425);
  await connection.expect('NOOP', 200);
});

test('STOR without PASV or PORT gets 425 and the server keeps running', async (t) => {
  // Regression: the unused upload stream was destroyed with an error nobody listened to, an
  // uncaught exception that took the whole process down.
  const { port, root } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('STOR never.bin', 425);
  await connection.expect('APPE never.bin', 425);
  const other = await RawFtpConnection.login(t, port);
  await other.expect('NOOP', 200);
  await writeFile(join(root, 'probe'), 'x');
  await other.expect('SIZE probe', 213);
});

test('RETR of a missing file gets 550 and keeps the prepared data connection', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.openPassive(t);
  const reply = await connection.expect('RETR missing.txt', 550);
  assert.doesNotMatch(reply.lines.join(' '), /\/tmp|ENOENT/);
});

test('active connections to an unreachable port get 425', async (t) => {
  const { port } = await startTestServer(t, { limits: { activeConnectTimeoutMs: 2000 } });
  const connection = await RawFtpConnection.login(t, port);
  // Port 1025 on loopback: nothing listens, the connect is refused.
  await connection.expect('PORT 127,0,0,1,4,1', 200);
  connection.write('LIST\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  assert.equal((await connection.nextReply()).replyCode, 425);
});

test('STOR, APPE, STOU and REST + STOR without a data connection leave the files as they were', async (t) => {
  // Regression: the file was opened (and truncated, or created) before the 425.
  const { port, root } = await startTestServer(t);
  const payload = randomPayload(1000);
  await writeFile(join(root, 'keep.bin'), payload);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('STOR keep.bin', 425);
  await connection.expect('APPE keep.bin', 425);
  await connection.expect('REST 100', 350);
  await connection.expect('STOR keep.bin', 425);
  await connection.expect('STOU', 425);
  await connection.expect('STOU fresh.txt', 425);
  assert.equal(sha256(await readFile(join(root, 'keep.bin'))), sha256(payload));
  assert.deepEqual(await readdir(root), ['keep.bin']);
});

test('a REST offset survives PASV and TYPE but any other command drops it', async (t) => {
  const { port, root } = await startTestServer(t);
  const payload = randomPayload(100000);
  await writeFile(join(root, 'file.bin'), payload);
  const connection = await RawFtpConnection.login(t, port);
  // REST, then the parameter commands, then RETR: the offset applies.
  await connection.expect('REST 40000', 350);
  await connection.expect('TYPE I', 200);
  let data = await connection.openPassive(t);
  connection.write('RETR file.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  assert.equal(sha256(await readAll(data)), sha256(payload.subarray(40000)));
  assert.equal((await connection.nextReply()).replyCode, 226);
  // REST, SIZE, CWD, then RETR: the whole file (regression: 99,995 bytes were sent).
  await connection.expect('REST 5', 350);
  await connection.expect('SIZE file.bin', 213);
  await connection.expect('CWD /', 250);
  data = await connection.openPassive(t);
  connection.write('RETR file.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  assert.equal(sha256(await readAll(data)), sha256(payload));
  assert.equal((await connection.nextReply()).replyCode, 226);
  // REST, a listing, then STOR: written from byte 0 (regression: NUL-padded "\0\0\0\0\0hello").
  await connection.expect('REST 5', 350);
  data = await connection.openPassive(t);
  connection.write('MLSD\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await readAll(data);
  assert.equal((await connection.nextReply()).replyCode, 226);
  data = await connection.openPassive(t);
  connection.write('STOR r.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await writeAndEnd(data, Buffer.from('hello'));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(await readFile(join(root, 'r.bin'), 'utf8'), 'hello');
  // A new unique file has nothing to resume: REST right before STOU does not pad it either.
  data = await connection.openPassive(t);
  await connection.expect('REST 7', 350);
  connection.write('STOU\r\n');
  const opening = await connection.nextReply();
  assert.equal(opening.replyCode, 150);
  await writeAndEnd(data, Buffer.from('hello'));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(await readFile(join(root, /FILE: (.+)$/.exec(opening.lines[0]!)![1]!), 'utf8'), 'hello');
});

test('ABOR pipelined right behind RETR aborts it before a byte is sent', async (t) => {
  // Regression: ABOR was queued behind the RETR while the file was opened; the whole transfer ran.
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'big.bin'), randomPayload(16 * 1024 * 1024));
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  connection.write('RETR big.bin\r\nABOR\r\n');
  assert.equal((await connection.nextReply()).replyCode, 426);
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal((await readAll(data)).length, 0);
  await connection.expect('PWD', 257);
  // The session transfers normally afterwards.
  const next = await connection.openPassive(t);
  connection.write('RETR big.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  assert.equal((await readAll(next)).length, 16 * 1024 * 1024);
  assert.equal((await connection.nextReply()).replyCode, 226);
});
