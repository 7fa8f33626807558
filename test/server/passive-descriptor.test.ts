/**
 * Passive ports as the native helper's bare descriptors (server/data/passive-listener.ts): a
 * download takes the client's waiting connection from the backlog as a descriptor; every other
 * order of events and every other transfer still gets its connection, byte for byte.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parsePasvReplyText } from '../../src/protocol/data-address.js';
import { nativeFileSender, nativePassiveSockets, setNativeFileSenderEnabledForTest } from '../../src/native/native-addon.js';
import { passiveDescriptorsTaken } from '../../src/server/data/data-channel.js';
import { sendfileDownloadCount } from '../../src/storage/local-download.js';
import { isRootOnLocalFileSystem } from '../../src/file-io/inline-file-io.js';
import type { FtpServerOptions } from '../../src/server/ftp-server.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

const bare = { skip: (nativePassiveSockets() === null || nativeFileSender() === null) && 'bare passive descriptors not built (Linux only)' };

const payload = randomPayload(3 * 1024 * 1024 + 777);

async function setUp(t: TestContext, options: FtpServerOptions = {}): Promise<RawFtpConnection> {
  const { port, root } = await startTestServer(t, options);
  await isRootOnLocalFileSystem(root);
  await writeFile(join(root, 'file.bin'), payload);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  return connection;
}

/** PASV, without connecting: the data port's number. */
async function pasvPort(connection: RawFtpConnection): Promise<number> {
  return parsePasvReplyText((await connection.expect('PASV', 227)).lines[0]!).port;
}

function connectData(t: TestContext, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    t.after(() => socket.destroy());
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// Without the sendfile sender (turned off here, as FERRY_NATIVE=0 or a failed start would leave
// it) the download cannot go out bare, and the taken descriptor becomes a socket for move().
for (const withSendfile of [true, false]) {
  test(`a RETR whose client connected first takes the connection as a bare descriptor and the file arrives whole (${withSendfile ? 'sendfile' : 'made a socket: no sendfile sender'})`, bare, async (t) => {
    setNativeFileSenderEnabledForTest(withSendfile);
    t.after(() => setNativeFileSenderEnabledForTest(true));
    const connection = await setUp(t);
    const [taken, sent] = [passiveDescriptorsTaken(), sendfileDownloadCount()];
    const data = await connection.openPassive(t);
    connection.write('RETR file.bin\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    const received = await readAll(data);
    assert.equal((await connection.nextReply()).replyCode, 226);
    assert.equal(sha256(received), sha256(payload));
    assert.deepEqual([passiveDescriptorsTaken() - taken, sendfileDownloadCount() - sent], [1, withSendfile ? 1 : 0]);
  });
}

test('a client that connects only after the 150 is served through Node, whole: RETR, STOR and NLST', bare, async (t) => {
  const connection = await setUp(t);
  const taken = passiveDescriptorsTaken();
  let port = await pasvPort(connection);
  connection.write('RETR file.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  const downloaded = await readAll(await connectData(t, port));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(downloaded), sha256(payload));

  port = await pasvPort(connection);
  connection.write('STOR copy.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  const upload = await connectData(t, port);
  upload.end(payload);
  assert.equal((await connection.nextReply()).replyCode, 226);
  await connection.expect('SIZE copy.bin', 213);

  port = await pasvPort(connection);
  connection.write('NLST\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  const names = (await readAll(await connectData(t, port))).toString().split('\r\n').filter(Boolean).sort();
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.deepEqual(names, ['copy.bin', 'file.bin']);
  assert.equal(passiveDescriptorsTaken() - taken, 0, 'nothing waited in the backlog at the transfer');
});

test('STOR and NLST whose client connected first get a socket on the taken connection, whole', bare, async (t) => {
  const { port, root } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  let data = await connection.openPassive(t);
  connection.write('STOR up.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  data.end(payload);
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(await readFile(join(root, 'up.bin'))), sha256(payload));
  data = await connection.openPassive(t);
  connection.write('NLST\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  assert.equal((await readAll(data)).toString(), 'up.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 226);
});

test('a client that connected before the accept timeout but sends RETR and NLST after it keeps its connection; one that never connected gets 425', bare, async (t) => {
  const connection = await setUp(t, { limits: { passiveAcceptTimeoutMs: 200 } });
  for (const command of ['RETR file.bin', 'NLST']) {
    const data = await connection.openPassive(t);
    await new Promise((resolve) => setTimeout(resolve, 400));
    connection.write(`${command}\r\n`);
    assert.equal((await connection.nextReply()).replyCode, 150, command);
    const received = await readAll(data);
    assert.equal((await connection.nextReply()).replyCode, 226, command);
    if (command === 'NLST') assert.equal(received.toString(), 'file.bin\r\n');
    else assert.equal(sha256(received), sha256(payload));
  }
  await pasvPort(connection);
  await new Promise((resolve) => setTimeout(resolve, 400));
  connection.write('RETR file.bin\r\n');
  const replies = [(await connection.nextReply()).replyCode];
  if (replies[0] === 150) replies.push((await connection.nextReply()).replyCode);
  assert.equal(replies.at(-1), 425);
});

test('a connection left waiting when its transfer is refused or replaced (or aborted) gets an orderly end, not a reset', bare, async (t) => {
  const connection = await setUp(t);
  const refused = await connection.openPassive(t);
  await connection.expect('RETR missing.bin', 550);
  const replaced = readAll(refused); // rejects on a reset
  await connection.openPassive(t); // a new PASV closes the old port and what waits on it
  assert.equal((await replaced).length, 0);
  const aborted = await connection.openPassive(t);
  const ended = readAll(aborted);
  connection.write('RETR file.bin\r\nABOR\r\n');
  assert.equal((await connection.nextReply()).replyCode, 426);
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal((await ended).length, 0);
});
