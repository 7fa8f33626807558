import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fstatSync, openSync, readdirSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { InlineFileIo, isRootOnLocalFileSystem, type FileIoMode } from '../../src/file-io/inline-file-io.js';
import { LocalDownload } from '../../src/storage/local-download.js';
import { pooledBufferCount, trimBufferPool } from '../../src/file-io/transfer-buffer-pool.js';
import { sha256 } from '../helpers/checksum.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A destination that takes its time with each chunk, so buffers are recycled under backpressure. */
function slowCollector(delayMs: number): { destination: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const destination = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      // Copy: the sender may reuse its buffer once this callback ran, never before.
      chunks.push(Buffer.from(chunk));
      setTimeout(callback, delayMs);
    },
  });
  return { destination, chunks };
}

// Every behaviour holds whether the file is read inline or through the thread pool.
for (const mode of ['auto', 'thread-pool'] as FileIoMode[]) {
  describe(`LocalDownload (fileIo '${mode}')`, () => {
    async function openDownload(file: string, start = 0): Promise<LocalDownload> {
      const io = new InlineFileIo(mode, dirname(file));
      await isRootOnLocalFileSystem(dirname(file)); // 'auto' reads inline only once statfs has answered
      const fd = openSync(file, 'r');
      return new LocalDownload(fd, start, fstatSync(fd).size, io);
    }

    test('concurrent sendTo transfers share the buffer pool without mixing bytes', async (t) => {
      const directory = await makeTempDir(t);
      const payloads = [randomBytes(1_300_000), randomBytes(700_001), randomBytes(256 * 1024), randomBytes(0)];
      await Promise.all(payloads.map((payload, index) => writeFile(join(directory, `f${index}`), payload)));
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          payloads.map(async (_payload, index) => {
            const download = await openDownload(join(directory, `f${index}`));
            const { destination, chunks } = slowCollector(index + 1);
            await download.sendTo(destination, new AbortController().signal);
            return Buffer.concat(chunks);
          }),
        );
        results.forEach((received, index) => assert.equal(sha256(received), sha256(payloads[index]!), `file ${index}, round ${round}`));
      }
    });

    test('sendTo starts at the offset and stops at the size fstat gave, even if the file grows', async (t) => {
      const directory = await makeTempDir(t);
      const payload = randomBytes(600_000);
      const file = join(directory, 'f');
      await writeFile(file, payload);
      const download = await openDownload(file, 123_457);
      await writeFile(file, Buffer.concat([payload, randomBytes(50_000)]));
      const sink = new PassThrough();
      const collected: Buffer[] = [];
      sink.on('data', (chunk: Buffer) => collected.push(Buffer.from(chunk))); // sendTo reuses its buffers
      await download.sendTo(sink, new AbortController().signal);
      assert.equal(sha256(Buffer.concat(collected)), sha256(payload.subarray(123_457)));
    });

    test('sendTo ends early without error when the file shrinks under it', async (t) => {
      const directory = await makeTempDir(t);
      const file = join(directory, 'f');
      await writeFile(file, randomBytes(900_000));
      const download = await openDownload(file);
      await truncate(file, 1000);
      const { destination, chunks } = slowCollector(0);
      await download.sendTo(destination, new AbortController().signal);
      assert.equal(Buffer.concat(chunks).length, 1000);
    });

    const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

    test('sendTo rejects when the destination fails mid-file, and when the signal aborts, closing the file', async (t) => {
      const directory = await makeTempDir(t);
      const file = join(directory, 'f');
      await writeFile(file, randomBytes(2_000_000));
      const descriptorsBefore = process.platform === 'linux' ? openDescriptors() : 0;

      const failing = await openDownload(file);
      const { destination } = slowCollector(5);
      setTimeout(() => destination.destroy(new Error('peer vanished')), 10);
      await assert.rejects(failing.sendTo(destination, new AbortController().signal), /peer vanished/);

      const aborted = await openDownload(file);
      const controller = new AbortController();
      const slow = slowCollector(20);
      const sending = aborted.sendTo(slow.destination, controller.signal);
      await delay(10);
      controller.abort();
      await assert.rejects(sending, { name: 'AbortError' });

      const discarded = await openDownload(file);
      discarded.discard();
      await delay(50); // discard closes asynchronously
      if (process.platform === 'linux') assert.equal(openDescriptors(), descriptorsBefore, 'every failed, aborted or discarded download closed its file');
    });

    test('sendTo fails when the destination is ended by someone else before the file was sent', async (t) => {
      const directory = await makeTempDir(t);
      const file = join(directory, 'f');
      await writeFile(file, randomBytes(3_000_000));
      const download = await openDownload(file);
      const { destination } = slowCollector(5);
      setTimeout(() => destination.end(), 12);
      await assert.rejects(download.sendTo(destination, new AbortController().signal), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    });

    test('a download source is used once: stream after sendTo throws, discard is safe', async (t) => {
      const directory = await makeTempDir(t);
      const file = join(directory, 'f');
      await writeFile(file, 'abc');
      const download = await openDownload(file);
      const sink = new PassThrough();
      sink.resume();
      await download.sendTo(sink, new AbortController().signal);
      assert.throws(() => download.stream, /read once/);
      download.discard();
      const unused = await openDownload(file);
      unused.discard();
      unused.discard();
    });
  });
}

test('the buffer pool keeps buffers used within an interval and releases those idle for a whole one', async (t) => {
  const directory = await makeTempDir(t);
  const file = join(directory, 'f');
  await writeFile(file, randomBytes(1_000_000));
  const downloadOnce = async (): Promise<void> => {
    const fd = openSync(file, 'r');
    const download = new LocalDownload(fd, 0, fstatSync(fd).size, new InlineFileIo('thread-pool', directory));
    const sink = new PassThrough();
    sink.resume();
    await download.sendTo(sink, new AbortController().signal);
  };
  await Promise.all([downloadOnce(), downloadOnce(), downloadOnce()]);
  assert.ok(pooledBufferCount() >= 6, 'three concurrent downloads leave their two buffers each');
  trimBufferPool();
  trimBufferPool(); // nothing was taken during this "interval"
  assert.equal(pooledBufferCount(), 0);

  await downloadOnce(); // allocates two and returns them
  await downloadOnce(); // takes both back within the interval
  trimBufferPool();
  assert.equal(pooledBufferCount(), 2, 'buffers in use during the interval stay');
  trimBufferPool();
  assert.equal(pooledBufferCount(), 0, 'then go once idle for a whole interval');
});
