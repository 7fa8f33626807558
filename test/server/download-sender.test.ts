import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isInlineFileIoSuspended, isRootOnLocalFileSystem, recordInlineCallForTest, resetInlineFileIoWatchdog, slowInlineCallMs } from '../../src/file-io/inline-file-io.js';
import { sendfileDownloadCount } from '../../src/storage/local-download.js';
import { nativeFileSender, nativePassiveSockets, setNativeFileSenderEnabledForTest, setNativePassiveSocketsEnabledForTest } from '../../src/native/native-addon.js';
import { passiveDescriptorsTaken } from '../../src/server/data/data-channel.js';
import { nativeTransfersRunning, poolThreadsHeld } from '../../src/native/native-transfer.js';
import type { FtpServer, FtpServerOptions } from '../../src/server/ftp-server.js';
import type { TransferFinishedEvent } from '../../src/server/server-events.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

const sender = { skip: nativeFileSender() === null && 'sendfile sender not built (Linux only)' };

/** Bigger than the socket buffers take at once: most of it goes out from the sender thread. */
const bigBytes = 9 * 1024 * 1024 + 12345;

async function serverWithBigFile(t: TestContext, options: FtpServerOptions = {}): Promise<{ port: number; root: string; payload: Buffer; server: FtpServer }> {
  const { port, root, server } = await startTestServer(t, options);
  await isRootOnLocalFileSystem(root); // settle the asynchronous verdict the sender waits for
  const payload = randomPayload(bigBytes);
  await writeFile(join(root, 'big.bin'), payload);
  await writeFile(join(root, 'small.bin'), payload.subarray(0, 1000));
  await writeFile(join(root, 'empty.bin'), Buffer.alloc(0));
  return { port, root, payload, server };
}

/** RETR over a fresh data connection; resolves with what arrived, the final reply and how many downloads used sendfile. */
async function retrieve(t: TestContext, connection: RawFtpConnection, name: string, mode: 'passive' | 'active'): Promise<{ data: Buffer; replyCode: number; sendfiles: number }> {
  const before = sendfileDownloadCount();
  const opened: Promise<Socket> = mode === 'passive' ? connection.openPassive(t) : (await connection.openActive(t)).accepted;
  if (mode === 'passive') await opened;
  connection.write(`RETR ${name}\r\n`);
  assert.equal((await connection.nextReply()).replyCode, 150);
  const data = await readAll(await opened);
  const replyCode = (await connection.nextReply()).replyCode;
  return { data, replyCode, sendfiles: sendfileDownloadCount() - before };
}

/**
 * Log in, send RETR big.bin over a passive connection the client does not read yet (the socket
 * buffers fill and the download waits for it), and return the data socket after the 150.
 */
async function startPausedDownload(t: TestContext, port: number): Promise<{ connection: RawFtpConnection; data: Socket }> {
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  data.pause();
  data.on('error', () => undefined);
  connection.write('RETR big.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  return { connection, data };
}

/** The two kinds of passive port: the native helper's bare descriptor, and Node's net.Server. */
const passivePortKinds = ['bare descriptor', 'net.Server'] as const;

/** Make the test's passive ports of `kind`, and check after the test that its downloads took their connections that way. */
function usePassivePorts(t: TestContext, kind: (typeof passivePortKinds)[number]): void {
  const isBare = kind === 'bare descriptor' && nativePassiveSockets() !== null;
  setNativePassiveSocketsEnabledForTest(kind === 'bare descriptor');
  const before = passiveDescriptorsTaken();
  t.after(() => {
    setNativePassiveSocketsEnabledForTest(true);
    assert.equal(passiveDescriptorsTaken() > before, isBare, `downloads took their connections as bare descriptors: ${isBare}`);
  });
}

/** Wait until a native transfer runs. */
async function untilNativeTransferRuns(): Promise<void> {
  for (let attempt = 0; nativeTransfersRunning() === 0; attempt++) {
    assert.ok(attempt < 200, 'the sendfile download starts');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Wait until no native transfer runs (their count is what shows they ended). */
async function untilNativeTransfersEnded(): Promise<void> {
  for (let attempt = 0; nativeTransfersRunning() > 0; attempt++) {
    assert.ok(attempt < 100, 'the native transfer ends within a second');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a binary RETR goes through sendfile in passive and active mode, from a REST offset, small and empty files too; TYPE A and fileIo thread-pool do not', sender, async (t) => {
  const { port, payload } = await serverWithBigFile(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  for (const mode of ['passive', 'active'] as const) {
    const { data, replyCode, sendfiles } = await retrieve(t, connection, 'big.bin', mode);
    assert.equal(replyCode, 226);
    assert.equal(sendfiles, 1, `${mode}: sent with sendfile`);
    assert.equal(data.length, payload.length);
    assert.equal(sha256(data), sha256(payload), `${mode}: every byte`);
  }
  await connection.expect('REST 1000001', 350);
  const resumed = await retrieve(t, connection, 'big.bin', 'passive');
  assert.equal(resumed.sendfiles, 1);
  assert.equal(sha256(resumed.data), sha256(payload.subarray(1000001)), 'REST: from the offset');

  for (const mode of ['passive', 'active'] as const) {
    const small = await retrieve(t, connection, 'small.bin', mode);
    assert.equal(small.sendfiles, 1, `${mode}: a small file is sent with sendfile too`);
    assert.equal(small.replyCode, 226);
    assert.equal(sha256(small.data), sha256(payload.subarray(0, 1000)));
  }
  const empty = await retrieve(t, connection, 'empty.bin', 'passive');
  assert.deepEqual([empty.replyCode, empty.sendfiles, empty.data.length], [226, 1, 0]);
  await connection.expect('REST 1000', 350);
  const atTheEnd = await retrieve(t, connection, 'small.bin', 'passive');
  assert.deepEqual([atTheEnd.replyCode, atTheEnd.sendfiles, atTheEnd.data.length], [226, 1, 0], 'REST at the end: nothing to send');

  await connection.expect('TYPE A', 200);
  const ascii = await retrieve(t, connection, 'big.bin', 'passive');
  assert.equal(ascii.replyCode, 226);
  assert.equal(ascii.sendfiles, 0, 'TYPE A converts on the stream path');

  const threadPool = await serverWithBigFile(t, { fileIo: 'thread-pool' });
  const other = await RawFtpConnection.login(t, threadPool.port);
  await other.expect('TYPE I', 200);
  const pooled = await retrieve(t, other, 'big.bin', 'passive');
  assert.equal(pooled.sendfiles, 0, "fileIo 'thread-pool' keeps every file call in JavaScript");
  assert.equal(sha256(pooled.data), sha256(threadPool.payload));
});

test('while the inline file-call watchdog is tripped a RETR still goes through sendfile and arrives whole', sender, async (t) => {
  const { port, payload } = await serverWithBigFile(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  recordInlineCallForTest(slowInlineCallMs + 1); // as after a call that waited for a slow disk
  t.after(() => resetInlineFileIoWatchdog());
  assert.equal(isInlineFileIoSuspended(), true);
  for (const name of ['small.bin', 'big.bin']) {
    const { data, replyCode, sendfiles } = await retrieve(t, connection, name, 'passive');
    assert.deepEqual([replyCode, sendfiles], [226, 1], name);
    assert.equal(sha256(data), sha256(name === 'big.bin' ? payload : payload.subarray(0, 1000)), name);
  }
});

test('without the sendfile sender (not built, FERRY_NATIVE=0) a big RETR goes through the buffers, whole, with STAT and the event counting its bytes', sender, async (t) => {
  setNativeFileSenderEnabledForTest(false);
  t.after(() => setNativeFileSenderEnabledForTest(true));
  const { port, payload, server } = await serverWithBigFile(t);
  const finished = once(server, 'downloadFinished') as Promise<[TransferFinishedEvent]>;
  const before = sendfileDownloadCount();
  const { connection, data } = await startPausedDownload(t, port);
  const status = await connection.expect('STAT', 211);
  assert.match(status.lines.join(' '), /Transfer in progress: \d+ bytes/);
  const received = readAll(data);
  data.resume();
  assert.equal(sha256(await received), sha256(payload));
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sendfileDownloadCount() - before, 0);
  assert.equal((await finished)[0].bytes, payload.length);
});

test('STAT counts the bytes a sendfile download has sent so far, and the downloadFinished event has them all', sender, async (t) => {
  const { port, payload, server } = await serverWithBigFile(t);
  const finished = once(server, 'downloadFinished') as Promise<[TransferFinishedEvent]>;
  const before = sendfileDownloadCount();
  const { connection, data } = await startPausedDownload(t, port);
  let sentSoFar = 0;
  for (let attempt = 0; sentSoFar === 0; attempt++) {
    assert.ok(attempt < 200, 'STAT reports bytes sent');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const status = await connection.expect('STAT', 211);
    sentSoFar = Number(/Transfer in progress: (\d+) bytes/.exec(status.lines.join(' '))?.[1] ?? 0);
  }
  assert.equal(sendfileDownloadCount() - before, 1);
  assert.ok(sentSoFar < payload.length, `${sentSoFar} bytes while the client does not read`);
  const received = readAll(data);
  data.resume();
  assert.equal(sha256(await received), sha256(payload));
  assert.equal((await connection.nextReply()).replyCode, 226);
  const [event] = await finished;
  assert.equal(event.bytes, payload.length);
});

test('many sendfile downloads waiting on their clients at once all run on the sender thread and arrive intact', sender, async (t) => {
  const { port, payload } = await serverWithBigFile(t);
  const before = sendfileDownloadCount();
  const downloads = [];
  for (let index = 0; index < 6; index++) downloads.push(await startPausedDownload(t, port)); // all run before any ends
  for (let attempt = 0; nativeTransfersRunning() < 6; attempt++) {
    assert.ok(attempt < 200, `all six run at once (${nativeTransfersRunning()} do)`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(poolThreadsHeld(), 0, 'sends hold no thread-pool thread');
  await RawFtpConnection.login(t, port); // a login (password hashing in the pool) is not held up
  const received = downloads.map(({ data }) => readAll(data));
  for (const { data } of downloads) data.resume();
  for (const { connection } of downloads) assert.equal((await connection.nextReply()).replyCode, 226);
  for (const data of await Promise.all(received)) assert.equal(sha256(data), sha256(payload));
  assert.equal(sendfileDownloadCount() - before, 6);
  await untilNativeTransfersEnded();
});

// Each with the passive port a bare descriptor taken by RETR (the native helper's) and as a net.Server.
for (const kind of passivePortKinds) {
  test(`ABOR during a sendfile download: 426 then 226, the data connection closes, the sender stops and the session goes on (${kind})`, sender, async (t) => {
    usePassivePorts(t, kind);
    const { port, payload } = await serverWithBigFile(t);
    const before = sendfileDownloadCount();
    const { connection, data } = await startPausedDownload(t, port);
    const closed = new Promise<void>((resolve) => data.once('close', () => resolve()));
    await untilNativeTransferRuns();
    assert.equal(sendfileDownloadCount() - before, 1);
    connection.write('ABOR\r\n');
    assert.equal((await connection.nextReply()).replyCode, 426);
    assert.equal((await connection.nextReply()).replyCode, 226);
    await untilNativeTransfersEnded();
    data.resume(); // drain what was in flight: the connection must end, not deliver the whole file
    const drained = readAll(data).catch(() => Buffer.alloc(0));
    await closed;
    assert.ok((await drained).length < payload.length, 'the download stopped');
    const again = await retrieve(t, connection, 'big.bin', 'passive');
    assert.equal(sha256(again.data), sha256(payload), 'the next download is whole');
  });

  test(`a client that resets the data connection during a sendfile download gets 426 and keeps its session (${kind})`, sender, async (t) => {
    usePassivePorts(t, kind);
    const { port, payload } = await serverWithBigFile(t);
    const { connection, data } = await startPausedDownload(t, port);
    await untilNativeTransferRuns();
    data.resetAndDestroy();
    const reply = await connection.nextReply();
    assert.equal(reply.replyCode, 426);
    assert.match(reply.lines.join(' '), /Data connection lost/);
    await untilNativeTransfersEnded();
    const again = await retrieve(t, connection, 'big.bin', 'active');
    assert.equal(sha256(again.data), sha256(payload));
  });

  test(`a sendfile download whose client stops reading ends with 426 after the data stall timeout (${kind})`, sender, async (t) => {
    usePassivePorts(t, kind);
    const { port } = await serverWithBigFile(t, { limits: { dataStallTimeoutMs: 300 } });
    const before = sendfileDownloadCount();
    const { connection } = await startPausedDownload(t, port); // never read
    const startedAt = Date.now();
    const reply = await connection.nextReply();
    assert.equal(reply.replyCode, 426);
    assert.match(reply.lines[0]!, /stalled/);
    assert.ok(Date.now() - startedAt >= 250, 'not before the stall timeout');
    assert.equal(sendfileDownloadCount() - before, 1, 'the stall clock was the sender’s');
    await untilNativeTransfersEnded();
    await connection.expect('NOOP', 200);
  });
}
