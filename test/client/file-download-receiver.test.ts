/**
 * FileDownloadReceiver on real loopback sockets and real files: a slow file writer makes the socket
 * wait with both buffers full, and every byte must still land in order.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { open, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FileDownloadReceiver, writeAllAt, type FileWriter } from '../../src/client/file-download-receiver.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const bufferBytes = 1024 * 1024;

/** A server on a free loopback port that sends `payload` to each connection and ends it. */
async function serveOnce(t: TestContext, payload: Buffer): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.end(payload);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/**
 * A writer that takes `delayMs` per write before the real write, and records what a test checks:
 * the most writes in flight at once, and whether a write finished while the socket had filled the
 * other buffer (the receiver then had to stop the socket).
 */
function slowWriter(delayMs: number, receiver: () => FileDownloadReceiver | null, failAfterWrites = Infinity) {
  const record = { writes: 0, inFlight: 0, mostInFlight: 0, handedOver: 0, sawBothBuffersFull: false };
  const write: FileWriter = async (fd, data, position) => {
    record.writes++;
    record.inFlight++;
    record.mostInFlight = Math.max(record.mostInFlight, record.inFlight);
    record.handedOver += data.length;
    try {
      await delay(delayMs);
      if (record.writes > failAfterWrites) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      await writeAllAt(fd, data, position);
      const waiting = (receiver()?.bytesReceived ?? 0) - record.handedOver;
      if (waiting === bufferBytes) record.sawBothBuffersFull = true;
    } finally {
      record.inFlight--;
    }
  };
  return { record, write };
}

/** Connect to `port`, with the receiver's onread when `readsInto`. */
async function connectTo(t: TestContext, port: number, receiver: FileDownloadReceiver, readsInto: boolean): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, ...(readsInto ? { onread: receiver.onread } : {}) });
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

for (const readsInto of [true, false]) {
  const how = readsInto ? 'reading into its buffers (onread)' : 'copying emitted chunks';
  test(`a download ${how} is written byte for byte while a slow file keeps the socket waiting`, async (t) => {
    const payload = randomPayload(5 * bufferBytes + 123);
    const port = await serveOnce(t, payload);
    const path = join(await makeTempDir(t), 'download.bin');
    const file = await open(path, 'w');
    t.after(() => file.close().catch(() => undefined));
    let receiver: FileDownloadReceiver | null = null;
    const { record, write } = slowWriter(20, () => receiver);
    receiver = new FileDownloadReceiver(file.fd, 0, write);
    const socket = await connectTo(t, port, receiver, readsInto);
    const reported: number[] = [];
    await receiver.move(socket, new AbortController().signal, readsInto, (bytes) => reported.push(bytes));
    await file.close();
    const written = await readFile(path);
    assert.equal(written.length, payload.length);
    assert.equal(sha256(written), sha256(payload));
    assert.equal(receiver.bytesReceived, payload.length);
    assert.equal(reported.at(-1), payload.length);
    assert.equal(record.mostInFlight, 1, 'one write at a time, in order');
    assert.equal(record.writes, 6, 'five full buffers and the rest');
    assert.ok(record.sawBothBuffersFull, 'the socket filled the other buffer while a write was in flight');
  });
}

test('a download resumed at an offset is written after the bytes already there', async (t) => {
  const prefix = randomPayload(1000);
  const payload = randomPayload(bufferBytes + 7);
  const port = await serveOnce(t, payload);
  const path = join(await makeTempDir(t), 'partial.bin');
  await writeFile(path, prefix);
  const file = await open(path, 'r+');
  t.after(() => file.close().catch(() => undefined));
  const receiver = new FileDownloadReceiver(file.fd, prefix.length);
  const socket = await connectTo(t, port, receiver, true);
  await receiver.move(socket, new AbortController().signal, true, () => undefined);
  await file.close();
  assert.equal(sha256(await readFile(path)), sha256(Buffer.concat([prefix, payload])));
});

test('a failed file write fails the download, closes the socket, and leaves no write in flight', async (t) => {
  const port = await serveOnce(t, randomPayload(6 * bufferBytes));
  const file = await open(join(await makeTempDir(t), 'full-disk.bin'), 'w');
  t.after(() => file.close().catch(() => undefined));
  let receiver: FileDownloadReceiver | null = null;
  const { record, write } = slowWriter(5, () => receiver, 1);
  receiver = new FileDownloadReceiver(file.fd, 0, write);
  const socket = await connectTo(t, port, receiver, true);
  await assert.rejects(
    receiver.move(socket, new AbortController().signal, true, () => undefined),
    (error: NodeJS.ErrnoException) => error.code === 'ENOSPC',
  );
  assert.equal(record.inFlight, 0, 'settled only after the failed write');
  assert.ok(socket.destroyed);
});

test('an aborted download rejects once the write in flight has finished', async (t) => {
  const port = await serveOnce(t, randomPayload(6 * bufferBytes));
  const file = await open(join(await makeTempDir(t), 'aborted.bin'), 'w');
  t.after(() => file.close().catch(() => undefined));
  const controller = new AbortController();
  let receiver: FileDownloadReceiver | null = null;
  const slow = slowWriter(50, () => receiver);
  const write: FileWriter = (fd, data, position) => {
    const writing = slow.write(fd, data, position);
    controller.abort(); // while this write is in flight
    return writing;
  };
  receiver = new FileDownloadReceiver(file.fd, 0, write);
  const socket = await connectTo(t, port, receiver, true);
  await assert.rejects(receiver.move(socket, controller.signal, true, () => undefined), { name: 'AbortError' });
  assert.equal(slow.record.inFlight, 0, 'the descriptor is free for the caller to close');
  assert.ok(socket.destroyed);
});
