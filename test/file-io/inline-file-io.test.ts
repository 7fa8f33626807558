import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough, type Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { normalizeVirtualPath } from '../../src/protocol/virtual-path.js';
import {
  InlineFileIo,
  isDirectoryOnLocalFileSystem,
  knownVerdictCount,
  isInlineFileIoSuspended,
  isRootOnLocalFileSystem,
  recordInlineCallForTest,
  resetInlineFileIoWatchdog,
  slowInlineCallMs,
  type FileIoMode,
} from '../../src/file-io/inline-file-io.js';
import { nativeThreadSleeps } from '../../src/native/native-addon.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import type { UploadTarget } from '../../src/storage/storage.js';
import { sha256 } from '../helpers/checksum.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { countThreadPoolRequests } from '../helpers/async-resource-count.js';

afterEach(() => resetInlineFileIoWatchdog());

async function download(storage: LocalStorage, name: string): Promise<Buffer> {
  const source = await storage.openRead(normalizeVirtualPath(`/${name}`));
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  // Copied: sendTo reuses a buffer once the destination took it, and a PassThrough hands on the same object.
  sink.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  assert.ok(source.sendTo, 'local downloads offer sendTo');
  await source.sendTo(sink, new AbortController().signal);
  return Buffer.concat(chunks);
}

/** A storage over a directory holding `payload` as "f", with the statfs verdict already in. */
async function storageWithFile(t: Parameters<typeof makeTempDir>[0], mode: FileIoMode, payload: Buffer) {
  const directory = await makeTempDir(t);
  await writeFile(join(directory, 'f'), payload);
  const storage = new LocalStorage(directory, { fileIo: mode });
  assert.equal(await isRootOnLocalFileSystem(directory), true, 'the test directory is on a local file system');
  await download(storage, 'f'); // first use also realpaths the root once
  return { directory, storage };
}

test('a directory on a local file system counts as local; procfs does not', async (t) => {
  assert.equal(await isRootOnLocalFileSystem(await makeTempDir(t)), true);
  assert.equal(await isRootOnLocalFileSystem('/proc'), false);
});

test('the verdicts kept stay bounded when a client writes into many directories, and a root is asked again after', async (t) => {
  const root = await makeTempDir(t);
  const rootIo = new InlineFileIo('auto', root);
  assert.equal(await isRootOnLocalFileSystem(root), true);
  assert.equal(rootIo.isLocalFileSystem, true);
  for (let index = 0; index < 1500; index++) InlineFileIo.forDirectory('auto', join(root, `d${index}`)); // each asks its verdict
  assert.ok(knownVerdictCount() <= 1024, `${knownVerdictCount()} verdicts kept`);
  // The root's policy asks again by itself once the cache started over.
  for (let attempt = 0; attempt < 100 && !rootIo.isLocalFileSystem; attempt++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(rootIo.isLocalFileSystem, true);
});

test('a directory is judged by its own file system, whatever is mounted below it', async (t) => {
  const directory = await makeTempDir(t);
  const io = InlineFileIo.forDirectory('auto', directory);
  const below = join(directory, 'mounted');
  if (!(await mountSmallTmpfs(t, below))) return; // skipped without root
  assert.equal(await isRootOnLocalFileSystem(directory), false, 'as a root, the mount below disqualifies it');
  assert.equal(await isDirectoryOnLocalFileSystem(directory), true, 'as a directory of files it is a local tmp directory');
  assert.equal(io.isAllowed, true);
});

test('a root with a file system mounted below it is never used inline (the mount could be a network one)', async (t) => {
  const root = await makeTempDir(t);
  const below = join(root, 'mounted');
  if (!(await mountSmallTmpfs(t, below))) return; // skipped without root
  assert.equal(await isRootOnLocalFileSystem(root), false);
  assert.equal(await isRootOnLocalFileSystem(below), true, 'the mount itself is a local tmpfs with nothing below');
});

test("with fileIo 'auto' a download opens, stats and reads without one thread-pool round trip", async (t) => {
  const payload = randomBytes(1_300_000);
  const { storage } = await storageWithFile(t, 'auto', payload);
  const { result, requests } = await countThreadPoolRequests(() => download(storage, 'f'));
  assert.equal(sha256(result), sha256(payload));
  assert.equal(requests, 0);
});

test("with fileIo 'thread-pool' the same download goes through the thread pool", async (t) => {
  const payload = randomBytes(1_300_000);
  const { storage } = await storageWithFile(t, 'thread-pool', payload);
  const { result, requests } = await countThreadPoolRequests(() => download(storage, 'f'));
  assert.equal(sha256(result), sha256(payload));
  assert.ok(requests >= 4, `open, fstat, reads and close: ${requests} requests`);
});

/** Write `payload` in 64 KiB chunks (as a socket delivers it) and count thread-pool requests for the writes alone. */
async function countUploadWrites(stream: Writable, payload: Buffer): Promise<number> {
  const { requests } = await countThreadPoolRequests(async () => {
    for (let offset = 0; offset < payload.length; offset += 65536) {
      await new Promise<void>((resolve, reject) => stream.write(payload.subarray(offset, offset + 65536), (error) => (error ? reject(error) : resolve())));
    }
  });
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return requests;
}

for (const [mode, expectsThreadPool] of [
  ['auto', false],
  ['thread-pool', true],
] as const) {
  test(`with fileIo '${mode}' upload writes ${expectsThreadPool ? 'go through the thread pool' : 'are made inline'}, and the file is complete`, async (t) => {
    const payload = randomBytes(3 * 1024 * 1024 + 12345);
    const { directory, storage } = await storageWithFile(t, mode, Buffer.alloc(0));
    const target = await storage.openWrite(normalizeVirtualPath('/up'), { mode: 'truncate' });
    const requests = await countUploadWrites(target.stream, payload);
    assert.equal(requests > 0, expectsThreadPool, `${requests} thread-pool requests while writing`);
    assert.equal(sha256(await readFile(join(directory, 'up'))), sha256(payload));
  });
}

for (const [mode, expectsThreadPool] of [
  ['auto', false],
  ['thread-pool', true],
] as const) {
  test(`with fileIo '${mode}' a whole small upload (open, write, close) and the metadata commands ${expectsThreadPool ? 'go through the thread pool' : 'make no thread-pool round trip'}`, async (t) => {
    const payload = randomBytes(40_000);
    const { directory, storage } = await storageWithFile(t, mode, Buffer.alloc(0));
    const at = (name: string) => normalizeVirtualPath(`/${name}`);
    const { requests } = await countThreadPoolRequests(async () => {
      const target = await storage.openWrite(at('new'), { mode: 'truncate' });
      await new Promise<void>((resolve, reject) => target.stream.end(payload, (error?: Error | null) => (error ? reject(error) : resolve())));
      await storage.setModificationTime(at('new'), new Date('2020-01-02T03:04:05Z'));
      await storage.changeMode(at('new'), 0o600);
      await storage.makeDirectory(at('d'));
      await storage.rename(at('new'), at('d/moved'));
      const resumed = await storage.openWrite(at('d/moved'), { mode: { offset: 1000 } });
      await new Promise<void>((resolve, reject) => resumed.stream.end(payload.subarray(1000, 2000), (error?: Error | null) => (error ? reject(error) : resolve())));
    });
    assert.equal(requests > 0, expectsThreadPool, `${requests} thread-pool requests`);
    const moved = join(directory, 'd', 'moved');
    assert.equal(sha256(await readFile(moved)), sha256(payload.subarray(0, 2000)), 'REST 1000 + STOR cut the file at 2000');
    const stats = await stat(moved);
    assert.equal(stats.mode & 0o777, 0o600);
    const removal = await countThreadPoolRequests(async () => {
      await storage.deleteFile(at('d/moved'));
      await storage.removeDirectory(at('d'));
    });
    assert.equal(removal.requests > 0, expectsThreadPool, `${removal.requests} thread-pool requests to remove`);
    await assert.rejects(stat(join(directory, 'd')), { code: 'ENOENT' });
  });
}

test("with fileIo 'auto' an upload writes inline while at most two are open, and through the thread pool while more are", async (t) => {
  const payload = randomBytes(40_000);
  const { directory, storage } = await storageWithFile(t, 'auto', Buffer.alloc(0));
  const at = (name: string) => normalizeVirtualPath(`/${name}`);
  const write = (target: UploadTarget, data: Buffer) =>
    new Promise<void>((resolve, reject) => target.stream.write(data, (error?: Error | null) => (error ? reject(error) : resolve())));
  const end = (target: UploadTarget) => new Promise<void>((resolve, reject) => target.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  // writeNow is the receiver's inline write: it answers whether it wrote.
  const alone = await storage.openWrite(at('alone'), { mode: 'truncate' });
  assert.equal(alone.writeNow?.(payload), true, 'one upload open: written inline');
  await end(alone);
  const open: UploadTarget[] = [];
  for (const name of ['a', 'b', 'c']) open.push(await storage.openWrite(at(name), { mode: 'truncate' }));
  assert.equal(open[0]!.writeNow?.(payload), false, 'three uploads open: not inline');
  const { requests } = await countThreadPoolRequests(async () => {
    for (const target of open) await write(target, payload);
    await Promise.all(open.map(end));
  });
  assert.ok(requests >= 3, `${requests} thread-pool requests for three uploads open at once`);
  for (const name of ['alone', 'a', 'b', 'c']) assert.equal(sha256(await readFile(join(directory, name))), sha256(payload), name);
  // All closed again, one of them by destroy (an upload whose data connection never came): back to inline.
  const abandoned = await storage.openWrite(at('abandoned'), { mode: 'truncate' });
  abandoned.stream.on('error', () => undefined);
  await new Promise<void>((resolve) => abandoned.stream.destroy(new Error('no data connection')).once('close', () => resolve()));
  const again = await storage.openWrite(at('again'), { mode: 'truncate' });
  const other = await storage.openWrite(at('other'), { mode: 'truncate' });
  assert.equal(again.writeNow?.(payload), true, 'two open after the others closed: inline again');
  await Promise.all([end(again), end(other)]);
});

test('a new name under a link that leaves the root is refused inline as it is asynchronously', async (t) => {
  const { directory, storage } = await storageWithFile(t, 'auto', Buffer.alloc(0));
  const outside = await makeTempDir(t);
  await symlink(outside, join(directory, 'out'));
  await assert.rejects(storage.openWrite(normalizeVirtualPath('/out/new'), { mode: 'truncate' }), { kind: 'permission-denied' });
  await symlink(join(outside, 'missing'), join(directory, 'dangling'));
  await assert.rejects(storage.openWrite(normalizeVirtualPath('/dangling'), { mode: 'truncate' }), { kind: 'permission-denied' });
  await assert.rejects(stat(join(outside, 'new')), { code: 'ENOENT' });
  await assert.rejects(stat(join(outside, 'missing')), { code: 'ENOENT' });
});

test('one slow inline call moves every storage to the thread pool until the watchdog resets', async (t) => {
  const payload = randomBytes(700_000);
  const { storage } = await storageWithFile(t, 'auto', payload);
  recordInlineCallForTest(slowInlineCallMs / 2);
  assert.equal(isInlineFileIoSuspended(), false, 'a call under the bar changes nothing');
  recordInlineCallForTest(slowInlineCallMs + 1);
  assert.equal(isInlineFileIoSuspended(), true);
  const suspended = await countThreadPoolRequests(() => download(storage, 'f'));
  assert.equal(sha256(suspended.result), sha256(payload));
  assert.ok(suspended.requests > 0, 'while suspended, calls go through the thread pool');
  resetInlineFileIoWatchdog();
  const resumed = await countThreadPoolRequests(() => download(storage, 'f'));
  assert.equal(resumed.requests, 0);
});

test('a slow inline call that slept in the kernel suspends inline calls; one slow only because the thread was busy or preempted does not', { skip: nativeThreadSleeps() === null && 'needs the native helper on Linux to tell them apart' }, (t) => {
  t.after(() => resetInlineFileIoWatchdog());
  const io = new InlineFileIo('auto', tmpdir());
  const busy = (): void => {
    const until = performance.now() + slowInlineCallMs + 15;
    while (performance.now() < until); // on the CPU all along, as a preempted call is: no sleep
  };
  // A few tries: the JavaScript engine's own threads can make even a busy loop wait on a lock
  // while it is being compiled (that counts as a sleep, and the watchdog then errs on the safe side).
  let isSuspendedWhenBusy = true;
  for (let attempt = 0; attempt < 5 && isSuspendedWhenBusy; attempt++) {
    resetInlineFileIoWatchdog();
    io.run(busy);
    isSuspendedWhenBusy = isInlineFileIoSuspended();
  }
  assert.equal(isSuspendedWhenBusy, false, 'busy, not blocked');
  io.run(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowInlineCallMs + 15)); // sleeps, as a call waiting for the disk does
  assert.equal(isInlineFileIoSuspended(), true, 'blocked');
  resetInlineFileIoWatchdog();
  recordInlineCallForTest(slowInlineCallMs + 1, false);
  assert.equal(isInlineFileIoSuspended(), false);
});
