import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { normalizeVirtualPath } from '../../src/protocol/virtual-path.js';
import { readAcceptedSocketInto } from '../../src/file-io/socket-read-into.js';
import { UploadReceiver } from '../../src/server/data/upload-receiver.js';
import { isRootOnLocalFileSystem, type FileIoMode } from '../../src/file-io/inline-file-io.js';
import { LocalStorage, splicedUploadCount } from '../../src/storage/local-storage.js';
import { nativeTransfersRunning } from '../../src/native/native-transfer.js';
import { nativeSocketReceiver, setNativeSocketReceiverEnabledForTest } from '../../src/native/native-addon.js';
import { createStorageError } from '../../src/storage/storage.js';
import { pooledBufferCount, trimBufferPool } from '../../src/file-io/transfer-buffer-pool.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { pausedConnection } from '../helpers/paused-connection.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

/** Wait until the server has taken `bytes` bytes of the running upload (STAT reports its byte count). */
async function untilServerHasRead(connection: RawFtpConnection, bytes: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const status = await connection.expect('STAT', 211);
    if (status.lines.some((line) => line.includes(`${bytes} bytes so far`))) return;
    assert.ok(attempt < 200, 'the server reads the bytes sent');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

test('an accepted, paused socket moves to one that reads into the given buffers, releasing the old one', async (t) => {
  const { server, accepted, client } = await pausedConnection(t);
  const buffer = Buffer.alloc(16 * 1024);
  const received: Buffer[] = [];
  const adopted = readAcceptedSocketInto(accepted, {
    buffer,
    callback: (bytes, into) => {
      received.push(Buffer.from(into.subarray(0, bytes)));
      return true;
    },
  });
  assert.ok(adopted, 'the move is possible on this Node version');
  t.after(() => adopted.destroy());
  assert.equal(await connectionCount(server), 0, 'the old socket no longer counts as a connection');
  const payload = randomPayload(300_000);
  client.end(payload);
  adopted.resume(); // made paused, like the original
  await once(adopted, 'end');
  assert.equal(sha256(Buffer.concat(received)), sha256(payload));
  assert.equal(adopted.bytesRead, payload.length);
});

test('a socket that already started reading is left as it is', async (t) => {
  const { accepted } = await pausedConnection(t);
  accepted.resume();
  assert.equal(readAcceptedSocketInto(accepted, { buffer: Buffer.alloc(1024), callback: () => true }), null);
});

/** Upload `payload` through an UploadReceiver into `storage` at /up; resolves with receive()'s outcome. */
async function receiveInto(t: TestContext, storage: LocalStorage, payload: Buffer, writesInline: boolean): Promise<void> {
  const { accepted, client } = await pausedConnection(t);
  const target = await storage.openWrite(normalizeVirtualPath('/up'), { mode: 'truncate' });
  // 'thread-pool' storage offers no writeNow; answering 'not now' drives the receiver's stream fallback.
  assert.equal(typeof target.writeNow, writesInline ? 'function' : 'undefined');
  const receiver = new UploadReceiver({ stream: target.stream, writeNow: target.writeNow ?? (() => false) });
  const adopted = readAcceptedSocketInto(accepted, receiver.onread);
  assert.ok(adopted);
  t.after(() => adopted.destroy());
  client.end(payload);
  await receiver.receive(adopted, new AbortController().signal);
}

for (const mode of ['auto', 'thread-pool'] as FileIoMode[]) {
  test(`an upload received into a recycled buffer arrives whole (fileIo '${mode}')`, async (t) => {
    const directory = await makeTempDir(t);
    await isRootOnLocalFileSystem(directory);
    const storage = new LocalStorage(directory, { fileIo: mode });
    // Not a multiple of the buffer size, so the last, partly filled buffer is written too.
    const payload = randomPayload(5 * 1024 * 1024 + 777);
    await receiveInto(t, storage, payload, mode === 'auto');
    assert.equal(sha256(await readFile(join(directory, 'up'))), sha256(payload));
  });
}

for (const mode of ['auto', 'thread-pool'] as FileIoMode[]) {
  test(`an upload from a socket that reads into its own memory (as TLS does) is copied in, chunks straddling buffers (fileIo '${mode}')`, async (t) => {
    const directory = await makeTempDir(t);
    await isRootOnLocalFileSystem(directory);
    const storage = new LocalStorage(directory, { fileIo: mode });
    const { accepted, client } = await pausedConnection(t);
    const target = await storage.openWrite(normalizeVirtualPath('/up'), { mode: 'truncate' });
    const receiver = new UploadReceiver({ stream: target.stream, writeNow: target.writeNow ?? (() => false) });
    trimBufferPool();
    trimBufferPool();
    const payload = randomPayload(3 * 1024 * 1024 + 555);
    // Odd-sized writes, so the socket's chunks end at no multiple of the receive buffer.
    void (async () => {
      for (let offset = 0; offset < payload.length; offset += 100_003) {
        client.write(payload.subarray(offset, offset + 100_003));
        await new Promise((resolve) => setImmediate(resolve));
      }
      client.end();
    })();
    await receiver.receive(accepted, new AbortController().signal, false);
    assert.equal(receiver.bytesReceived, payload.length);
    assert.equal(sha256(await readFile(join(directory, 'up'))), sha256(payload));
    assert.equal(pooledBufferCount(), 1, 'the chunks went through the pooled receive buffer');
  });
}

test('a storage failure ends the upload with that error and cuts the connection', async (t) => {
  const { accepted, client } = await pausedConnection(t);
  let written = 0;
  const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const receiver = new UploadReceiver({
    stream,
    writeNow: (data) => {
      if (written > 512 * 1024) throw createStorageError('no-space');
      written += data.length;
      return true;
    },
  });
  const adopted = readAcceptedSocketInto(accepted, receiver.onread);
  assert.ok(adopted);
  client.write(randomPayload(4 * 1024 * 1024));
  await assert.rejects(receiver.receive(adopted, new AbortController().signal), { name: 'StorageError', kind: 'no-space' });
  assert.ok(adopted.destroyed);
  assert.ok(stream.destroyed, 'the target is destroyed, so its partial-file policy applies');
  await new Promise((resolve) => client.once('close', resolve));
});

test('without the splice receiver a binary STOR reads the data socket into a pooled buffer in passive and active mode; ASCII does not', async (t) => {
  setNativeSocketReceiverEnabledForTest(false);
  t.after(() => setNativeSocketReceiverEnabledForTest(true));
  const { port, root } = await startTestServer(t);
  await isRootOnLocalFileSystem(root);
  const connection = await RawFtpConnection.login(t, port);
  const upload = async (name: string, mode: 'passive' | 'active', payload = randomPayload(1_500_000)): Promise<void> => {
    trimBufferPool();
    trimBufferPool(); // empty: only this upload can put a buffer back
    const opened = mode === 'passive' ? await connection.openPassive(t) : (await connection.openActive(t)).accepted;
    connection.write(`STOR ${name}\r\n`);
    assert.equal((await connection.nextReply()).replyCode, 150);
    const socket = await opened;
    socket.end(payload);
    assert.equal((await connection.nextReply()).replyCode, 226);
    assert.equal(sha256(await readFile(join(root, name))), sha256(payload));
  };
  await connection.expect('TYPE I', 200);
  await upload('passive.bin', 'passive');
  assert.equal(pooledBufferCount(), 1, 'passive: the receive buffer came back to the pool');
  await upload('active.bin', 'active');
  assert.equal(pooledBufferCount(), 1, 'active: the receive buffer came back to the pool');
  await connection.expect('TYPE A', 200);
  await upload('ascii.txt', 'passive', Buffer.from('no carriage returns here\n'.repeat(40_000)));
  assert.equal(pooledBufferCount(), 0, 'TYPE A converts through the stream path');
});

test('with the splice receiver a binary STOR goes to the file through splice in passive and active mode, from the REST offset; APPE and ASCII do not', { skip: nativeSocketReceiver() === null && 'splice receiver not built (Linux only)' }, async (t) => {
  const { port, root } = await startTestServer(t);
  await isRootOnLocalFileSystem(root);
  const connection = await RawFtpConnection.login(t, port);
  const upload = async (command: string, mode: 'passive' | 'active', payload: Buffer): Promise<number> => {
    const splicedBefore = splicedUploadCount();
    const opened = mode === 'passive' ? await connection.openPassive(t) : (await connection.openActive(t)).accepted;
    connection.write(`${command}\r\n`);
    assert.equal((await connection.nextReply()).replyCode, 150);
    (await opened).end(payload);
    assert.equal((await connection.nextReply()).replyCode, 226);
    return splicedUploadCount() - splicedBefore;
  };
  await connection.expect('TYPE I', 200);
  const passive = randomPayload(3_000_000);
  assert.equal(await upload('STOR passive.bin', 'passive', passive), 1, 'passive: spliced');
  assert.equal(sha256(await readFile(join(root, 'passive.bin'))), sha256(passive));
  const active = randomPayload(2_000_001);
  assert.equal(await upload('STOR active.bin', 'active', active), 1, 'active: spliced');
  assert.equal(sha256(await readFile(join(root, 'active.bin'))), sha256(active));

  // REST then STOR: the rest of the file goes from the offset, the head stays.
  await connection.expect(`REST ${1_000_000}`, 350);
  const tail = randomPayload(1_500_000);
  assert.equal(await upload('STOR passive.bin', 'passive', tail), 1);
  assert.equal(sha256(await readFile(join(root, 'passive.bin'))), sha256(Buffer.concat([passive.subarray(0, 1_000_000), tail])));

  // APPE: the kernel refuses splice into O_APPEND files, so it takes the buffer path.
  const more = randomPayload(700_000);
  assert.equal(await upload('APPE active.bin', 'passive', more), 0, 'APPE: not spliced');
  assert.equal(sha256(await readFile(join(root, 'active.bin'))), sha256(Buffer.concat([active, more])));

  await connection.expect('TYPE A', 200);
  assert.equal(await upload('STOR ascii.txt', 'passive', Buffer.from('line\r\n'.repeat(10_000))), 0, 'TYPE A: converted on the stream path');
  assert.equal((await readFile(join(root, 'ascii.txt'))).toString(), 'line\n'.repeat(10_000));
});

test('at most two uploads are spliced at once; the others take the buffer path, all intact', { skip: nativeSocketReceiver() === null && 'splice receiver not built (Linux only)' }, async (t) => {
  const { port, root } = await startTestServer(t);
  await isRootOnLocalFileSystem(root);
  const splicedBefore = splicedUploadCount();
  const payloads = [0, 1, 2, 3].map(() => randomPayload(1_200_000));
  const sessions = await Promise.all(payloads.map(() => RawFtpConnection.login(t, port)));
  const dataSockets = [];
  for (const [index, connection] of sessions.entries()) {
    await connection.expect('TYPE I', 200);
    const data = await connection.openPassive(t);
    connection.write(`STOR four-${index}.bin\r\n`);
    assert.equal((await connection.nextReply()).replyCode, 150);
    data.write(payloads[index]!.subarray(0, 1000)); // all four are open and running before any ends
    dataSockets.push(data);
  }
  for (const [index, data] of dataSockets.entries()) data.end(payloads[index]!.subarray(1000));
  for (const connection of sessions) assert.equal((await connection.nextReply()).replyCode, 226);
  for (const [index, payload] of payloads.entries()) assert.equal(sha256(await readFile(join(root, `four-${index}.bin`))), sha256(payload));
  assert.equal(splicedUploadCount() - splicedBefore, 2, 'two spliced, two on the buffer path');
});

test("with fileIo 'thread-pool' a binary STOR takes the stream path (no receive buffer to copy from)", async (t) => {
  const { port, root } = await startTestServer(t, { fileIo: 'thread-pool' });
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  trimBufferPool();
  trimBufferPool();
  const payload = randomPayload(1_500_000);
  const data = await connection.openPassive(t);
  connection.write('STOR tp.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  data.end(payload);
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(await readFile(join(root, 'tp.bin'))), sha256(payload));
  assert.equal(pooledBufferCount(), 0);
});

for (const mode of ['passive', 'active'] as const) {
  test(`ABOR during a binary ${mode} upload replies 426 then 226, keeps what arrived, and the session goes on`, async (t) => {
    const { port, root } = await startTestServer(t);
    const connection = await RawFtpConnection.login(t, port);
    await connection.expect('TYPE I', 200);
    const opened = mode === 'passive' ? await connection.openPassive(t) : (await connection.openActive(t)).accepted;
    connection.write('STOR partial.bin\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    const data = await opened;
    data.on('error', () => undefined);
    const head = randomPayload(600_000); // more than one receive buffer, not a multiple of it
    await new Promise<void>((resolve) => data.write(head, () => resolve()));
    await untilServerHasRead(connection, head.length);
    connection.write('ABOR\r\n');
    assert.equal((await connection.nextReply()).replyCode, 426);
    assert.equal((await connection.nextReply()).replyCode, 226);
    await connection.expect('PWD', 257);
    const kept = await readFile(join(root, 'partial.bin'));
    assert.equal(kept.length, head.length, 'every byte that arrived before ABOR is in the partial file');
    assert.equal(sha256(kept), sha256(head));
  });
}

test('an upload whose client stops sending is aborted with 426 after the stall timeout', async (t) => {
  const { port } = await startTestServer(t, { limits: { dataStallTimeoutMs: 300 } });
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.openPassive(t);
  connection.write('STOR slow.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  data.write(randomPayload(10_000)); // then nothing, and no end
  const reply = await connection.nextReply();
  assert.equal(reply.replyCode, 426);
  assert.match(reply.lines[0]!, /stalled/);
  await connection.expect('NOOP', 200);
});

test('a storage stream that fails later (the fallback path) ends the upload with its error, never unhandled', async (t) => {
  const { accepted, client } = await pausedConnection(t);
  let received = 0;
  const stream = new Writable({
    highWaterMark: 64 * 1024,
    write: (chunk: Buffer, _encoding, callback) => {
      received += chunk.length;
      // Fails asynchronously, as a thread-pool write that hits a full disk does.
      setImmediate(() => callback(received > 512 * 1024 ? createStorageError('no-space') : null));
    },
  });
  const receiver = new UploadReceiver({ stream, writeNow: () => false });
  const adopted = readAcceptedSocketInto(accepted, receiver.onread);
  assert.ok(adopted);
  client.write(randomPayload(4 * 1024 * 1024));
  await assert.rejects(receiver.receive(adopted, new AbortController().signal), { name: 'StorageError', kind: 'no-space' });
  assert.ok(adopted.destroyed);
});

/**
 * A server, a logged-in binary session and a STOR of `name` under way over passive mode: `bytes`
 * sent and taken by the server, the data connection still open.
 */
async function uploadUnderway(t: TestContext, name: string, bytes: number) {
  const { port, root, server } = await startTestServer(t);
  await isRootOnLocalFileSystem(root);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  const splicedBefore = splicedUploadCount();
  const data = await connection.openPassive(t);
  data.on('error', () => undefined);
  connection.write(`STOR ${name}\r\n`);
  assert.equal((await connection.nextReply()).replyCode, 150);
  const head = randomPayload(bytes);
  await new Promise<void>((resolve) => data.write(head, () => resolve()));
  await untilServerHasRead(connection, head.length);
  return { root, server, connection, data, head, splicedBefore };
}

for (const spliced of [true, false]) {
  test(`a client that resets the data connection mid-upload gets 426, the bytes that arrived stay, and the session goes on (${spliced ? 'spliced' : 'buffer path'})`, { skip: spliced && nativeSocketReceiver() === null && 'splice receiver not built (Linux only)' }, async (t) => {
    setNativeSocketReceiverEnabledForTest(spliced);
    t.after(() => setNativeSocketReceiverEnabledForTest(true));
    const { root, connection, data, head, splicedBefore } = await uploadUnderway(t, 'reset.bin', 400_000);
    data.resetAndDestroy(); // RST, not FIN: the upload did not end, the connection broke
    const reply = await connection.nextReply();
    assert.equal(reply.replyCode, 426, reply.lines.join(' '));
    assert.equal(splicedUploadCount() - splicedBefore, spliced ? 1 : 0);
    const kept = await readFile(join(root, 'reset.bin'));
    assert.equal(sha256(kept), sha256(head), 'every byte that arrived is in the partial file');
    await connection.expect('NOOP', 200);
  });
}

test('closing the server during a spliced upload ends it within a second and keeps what arrived', { skip: nativeSocketReceiver() === null && 'splice receiver not built (Linux only)' }, async (t) => {
  const { root, server, head, splicedBefore } = await uploadUnderway(t, 'open.bin', 300_000); // the client keeps the connection open
  assert.equal(splicedUploadCount() - splicedBefore, 1);
  assert.equal(nativeTransfersRunning(), 1);
  await server.close();
  // server.close() does not wait for transfers: what shows the splice thread stopped is its count.
  for (let attempt = 0; nativeTransfersRunning() > 0; attempt++) {
    assert.ok(attempt < 100, 'the spliced upload ends within a second of the close');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(sha256(await readFile(join(root, 'open.bin'))), sha256(head));
});
