import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile as readRealFile, readdir, realpath, rm, symlink, writeFile as writeRealFile, lstat, link, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRootOnLocalFileSystem } from '../../src/file-io/inline-file-io.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { StorageError, type Storage, type UploadTarget } from '../../src/storage/storage.js';
import { uploadLocksHeld } from '../../src/storage/upload-lock.js';
import type { VirtualPath } from '../../src/protocol/virtual-path.js';
import { destroyAndWait, expectKind, readFile, runStorageContract, vp, writeFile } from './storage-contract.js';
import { startHangWatchdog } from '../helpers/hang-watchdog.js';

async function makeTemporaryDirectory(): Promise<string> {
  return realpath(await mkdtemp(path.join(tmpdir(), 'ferry-local-storage-')));
}

runStorageContract('LocalStorage', async () => {
  const root = await makeTemporaryDirectory();
  const storage = new LocalStorage(root);
  await isRootOnLocalFileSystem(root); // the default 'auto' reads and writes inline once statfs answered
  return { storage, cleanup: () => rm(root, { recursive: true, force: true }) };
});

runStorageContract('LocalStorage through the thread pool', async () => {
  const root = await makeTemporaryDirectory();
  return { storage: new LocalStorage(root, { fileIo: 'thread-pool' }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

runStorageContract(
  'LocalStorage with atomic uploads',
  async () => {
    const root = await makeTemporaryDirectory();
    return { storage: new LocalStorage(root, { atomicUploads: true }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { keepsPartialUploads: false, locksTruncatingUploads: false },
);

// Both ways of resolving paths must refuse the same escapes: inline (realpath on the event loop) and through the thread pool.
for (const fileIo of ['auto', 'thread-pool'] as const) {
  describe(`LocalStorage containment (fileIo '${fileIo}')`, () => {
    let sandbox: string;
    let root: string;
    let outside: string;
    let storage: LocalStorage;

    before(async () => {
      sandbox = await makeTemporaryDirectory();
      root = path.join(sandbox, 'root');
      outside = path.join(sandbox, 'outside');
      await mkdir(root);
      await mkdir(outside);
      await writeRealFile(path.join(outside, 'secret.txt'), 'top secret');
      await mkdir(path.join(root, 'inside'));
      await writeRealFile(path.join(root, 'inside', 'public.txt'), 'public');
      await symlink(path.join(outside, 'secret.txt'), path.join(root, 'file-link'));
      await symlink(outside, path.join(root, 'dir-link'));
      await symlink('../outside/new-file.txt', path.join(root, 'dangling-out'));
      await symlink(path.join(root, 'inside', 'public.txt'), path.join(root, 'good-file-link'));
      await symlink('inside', path.join(root, 'good-dir-link'));
      await symlink('inside/not-yet.txt', path.join(root, 'dangling-in'));
      storage = new LocalStorage(root, { fileIo });
      await isRootOnLocalFileSystem(root); // 'auto' resolves inline once statfs answered
    });
    after(() => rm(sandbox, { recursive: true, force: true }));

    it('refuses stat, read, write and changes through a file symlink that points outside the root', async () => {
      await expectKind(storage.stat(vp('/file-link')), 'permission-denied');
      await expectKind(storage.openRead(vp('/file-link')), 'permission-denied');
      await expectKind(storage.openWrite(vp('/file-link'), { mode: 'truncate' }), 'permission-denied');
      await expectKind(storage.openWrite(vp('/file-link'), { mode: 'append' }), 'permission-denied');
      await expectKind(storage.changeMode(vp('/file-link'), 0o777), 'permission-denied');
      await expectKind(storage.setModificationTime(vp('/file-link'), new Date(0)), 'permission-denied');
      await expectKind(storage.deleteFile(vp('/file-link')), 'permission-denied');
      assert.equal(await readRealFile(path.join(outside, 'secret.txt'), 'utf8'), 'top secret');
    });

    it('refuses list, read, write, mkdir and rmdir through a directory symlink that points outside the root', async () => {
      await expectKind(storage.stat(vp('/dir-link')), 'permission-denied');
      await expectKind(storage.list(vp('/dir-link')), 'permission-denied');
      await expectKind(storage.openRead(vp('/dir-link/secret.txt')), 'permission-denied');
      await expectKind(storage.openWrite(vp('/dir-link/planted.txt'), { mode: 'truncate' }), 'permission-denied');
      await expectKind(storage.makeDirectory(vp('/dir-link/new-dir')), 'permission-denied');
      await expectKind(storage.removeDirectory(vp('/dir-link')), 'permission-denied');
      await expectKind(storage.deleteFile(vp('/dir-link/secret.txt')), 'permission-denied');
      assert.deepEqual(await readdir(outside), ['secret.txt']);
    });

    it('refuses to create a file through a dangling symlink that points outside the root', async () => {
      await expectKind(storage.openWrite(vp('/dangling-out'), { mode: 'truncate' }), 'permission-denied');
      await expectKind(storage.openWrite(vp('/dangling-out'), { mode: { offset: 0 } }), 'permission-denied');
      assert.deepEqual(await readdir(outside), ['secret.txt']);
    });

    it('refuses renames from or onto an escaping symlink, and into an escaping directory', async () => {
      await writeRealFile(path.join(root, 'mine.txt'), 'mine');
      await expectKind(storage.rename(vp('/mine.txt'), vp('/dir-link/stolen.txt')), 'permission-denied');
      await expectKind(storage.rename(vp('/mine.txt'), vp('/file-link')), 'permission-denied');
      await expectKind(storage.rename(vp('/dir-link/secret.txt'), vp('/taken.txt')), 'permission-denied');
      await expectKind(storage.rename(vp('/file-link'), vp('/taken.txt')), 'permission-denied');
      assert.deepEqual(await readdir(outside), ['secret.txt']);
      assert.ok((await lstat(path.join(root, 'file-link'))).isSymbolicLink());
    });

    it('lists escaping symlinks without revealing their targets', async () => {
      const entries = await storage.list(vp('/'));
      const fileLink = entries.find((entry) => entry.name === 'file-link');
      const dirLink = entries.find((entry) => entry.name === 'dir-link');
      assert.equal(fileLink?.type, 'symlink');
      assert.equal(fileLink?.linkTarget, undefined);
      assert.equal(fileLink?.size, 0);
      assert.equal(dirLink?.type, 'symlink');
      assert.equal(dirLink?.linkTarget, undefined);
      assert.ok(!JSON.stringify(entries).includes(sandbox));
    });

    it('follows symlinks that stay inside the root and shows their targets as virtual paths', async () => {
      assert.equal((await readFile(storage, '/good-file-link')).toString(), 'public');
      assert.deepEqual((await storage.list(vp('/good-dir-link'))).map((entry) => entry.name), ['public.txt']);
      const entries = await storage.list(vp('/'));
      const fileLink = entries.find((entry) => entry.name === 'good-file-link');
      assert.equal(fileLink?.type, 'symlink');
      assert.equal(fileLink?.linkTarget, '/inside/public.txt');
      assert.equal(fileLink?.size, 'public'.length);
      assert.equal(entries.find((entry) => entry.name === 'good-dir-link')?.linkTarget, '/inside');
    });

    it('creates the target of a dangling symlink that points inside the root', async () => {
      await writeFile(storage, '/dangling-in', 'landed inside');
      assert.equal(await readRealFile(path.join(root, 'inside', 'not-yet.txt'), 'utf8'), 'landed inside');
    });

    it('deletes a symlink itself, never the file it points to', async () => {
      await symlink(path.join(root, 'inside', 'public.txt'), path.join(root, 'to-delete'));
      await storage.deleteFile(vp('/to-delete'));
      assert.equal(await readRealFile(path.join(root, 'inside', 'public.txt'), 'utf8'), 'public');
    });

    it('never lets ".." climb out of the root, however the path was built', async () => {
      for (const text of ['/..', '/../outside/secret.txt', '/inside/../../outside/secret.txt', '/../../../../etc/passwd']) {
        await expectKind(storage.openRead(text as VirtualPath), 'permission-denied');
        await expectKind(storage.openWrite(text as VirtualPath, { mode: 'truncate' }), 'permission-denied');
      }
      // Normalised the proper way, ".." stops at the virtual root.
      await expectKind(storage.openRead(vp('/../../outside/secret.txt')), 'not-found');
      assert.deepEqual((await storage.list(vp('/inside/../..'))).some((entry) => entry.name === 'inside'), true);
    });

    it('refuses a symlink loop instead of hanging', async () => {
      await symlink('loop-b', path.join(root, 'loop-a'));
      await symlink('loop-a', path.join(root, 'loop-b'));
      await assert.rejects(storage.openWrite(vp('/loop-a'), { mode: 'truncate' }), StorageError);
      await assert.rejects(storage.stat(vp('/loop-a')), StorageError);
    });

    it('never puts the real root path into an error message', async () => {
      const attempts: Array<() => Promise<unknown>> = [
        () => storage.stat(vp('/missing')),
        () => storage.openRead(vp('/inside')),
        () => storage.openWrite(vp('/missing/file'), { mode: 'truncate' }),
        () => storage.list(vp('/inside/public.txt')),
        () => storage.makeDirectory(vp('/inside')),
        () => storage.removeDirectory(vp('/')),
        () => storage.rename(vp('/missing'), vp('/x')),
        () => storage.stat(vp('/file-link')),
      ];
      for (const attempt of attempts) {
        const error = await attempt().then(
          () => assert.fail('expected a failure'),
          (failure: unknown) => failure,
        );
        assert.ok(error instanceof StorageError);
        assert.ok(!error.message.includes(sandbox), error.message);
        assert.ok(!error.message.includes(tmpdir()), error.message);
        assert.ok(!/ENOENT|EISDIR|errno/.test(error.message), error.message);
      }
    });

    it('keeps the OS error as the cause, for the log', async () => {
      const error = await expectKind(storage.stat(vp('/missing')), 'not-found');
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
    });
  });
}

describe('LocalStorage uploads', () => {
  let root: string;
  before(async () => {
    root = await makeTemporaryDirectory();
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('has closed the file by the time the upload stream emits finish', async () => {
    const storage = new LocalStorage(root);
    const target = await storage.openWrite(vp('/closed.bin'), { mode: 'truncate' });
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), target.stream);
    // 'finish' fired before pipeline resolved; by then the real file must hold every byte.
    const onDisk = await readRealFile(path.join(root, 'closed.bin'));
    assert.equal(onDisk.length, data.length);
    assert.equal(createHash('sha256').update(onDisk).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('emits finish only after the descriptor is closed', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
    const storage = new LocalStorage(root);
    const openDescriptors = (): number => readdirSync('/proc/self/fd').length;
    const before = openDescriptors();
    const target = await storage.openWrite(vp('/fd.bin'), { mode: 'truncate' });
    assert.equal(openDescriptors(), before + 1);
    let atFinish = -1;
    target.stream.once('finish', () => (atFinish = openDescriptors()));
    target.stream.end(Buffer.alloc(100_000));
    await once(target.stream, 'finish');
    assert.equal(atFinish, before);
  });

  it('leaves a partial file behind when a non-atomic upload is destroyed, for REST resume', async () => {
    const storage = new LocalStorage(root);
    const target = await storage.openWrite(vp('/resume-me.bin'), { mode: 'truncate' });
    await new Promise<void>((resolve, reject) => target.stream.write(Buffer.from('half'), (error) => (error ? reject(error) : resolve())));
    await destroyAndWait(target.stream, new Error('client vanished'));
    assert.equal(await readRealFile(path.join(root, 'resume-me.bin'), 'utf8'), 'half');
  });
});

/** Write one chunk and wait until the stream accepted it. */
function writeChunk(target: UploadTarget, data: string): Promise<void> {
  return new Promise((resolve, reject) => target.stream.write(Buffer.from(data), (error) => (error ? reject(error) : resolve())));
}

/** End an upload and wait for 'finish'. */
async function finishUpload(target: UploadTarget, data: string): Promise<void> {
  const finished = once(target.stream, 'finish');
  target.stream.end(Buffer.from(data));
  await finished;
}

// Regression (hunt t9_concurrent): two sessions storing one name at once both got 226 and the file
// was an interleaving of both uploads. Each login has its own LocalStorage, so the lock must hold
// across instances, and across the different paths that reach one file.
for (const fileIo of ['auto', 'thread-pool'] as const) {
  describe(`LocalStorage: one writer per file (fileIo '${fileIo}')`, () => {
    let root: string;
    before(async () => {
      root = await makeTemporaryDirectory();
      await mkdir(path.join(root, 'sub'));
      await isRootOnLocalFileSystem(root);
    });
    after(() => rm(root, { recursive: true, force: true }));
    const open = (home = root): LocalStorage => new LocalStorage(home, { fileIo });

    it('refuses the file to another LocalStorage, by another virtual path, a symlink or a hard link', async () => {
      await writeRealFile(path.join(root, 'sub', 'same.bin'), 'old content');
      await symlink('sub/same.bin', path.join(root, 'symlink.bin'));
      await link(path.join(root, 'sub', 'same.bin'), path.join(root, 'hardlink.bin'));
      const alice = open();
      const bob = open(path.join(root, 'sub')); // an account whose home is /sub
      const first = await alice.openWrite(vp('/sub/same.bin'), { mode: 'truncate' });
      await writeChunk(first, 'first upload');
      await expectKind(bob.openWrite(vp('/same.bin'), { mode: 'truncate' }), 'busy');
      await expectKind(alice.openWrite(vp('/symlink.bin'), { mode: 'append' }), 'busy');
      await expectKind(open().openWrite(vp('/hardlink.bin'), { mode: { offset: 0 } }), 'busy');
      await expectKind(new LocalStorage(root, { fileIo: fileIo === 'auto' ? 'thread-pool' : 'auto' }).openWrite(vp('/sub/same.bin'), { mode: 'truncate' }), 'busy');
      await finishUpload(first, ', complete');
      assert.equal(await readRealFile(path.join(root, 'sub', 'same.bin'), 'utf8'), 'first upload, complete');
      await writeFile(bob, '/same.bin', 'second upload');
      assert.equal(await readRealFile(path.join(root, 'hardlink.bin'), 'utf8'), 'second upload');
    });

    it('lets exactly one of two uploads racing through their opens in', async () => {
      const results = await Promise.allSettled([open().openWrite(vp('/race.bin'), { mode: 'truncate' }), open().openWrite(vp('/race.bin'), { mode: 'truncate' })]);
      const winners = results.filter((result): result is PromiseFulfilledResult<UploadTarget> => result.status === 'fulfilled');
      const losers = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      assert.equal(winners.length, 1);
      assert.equal(losers.length, 1);
      assert.ok(losers[0]!.reason instanceof StorageError && losers[0]!.reason.kind === 'busy', String(losers[0]!.reason));
      await finishUpload(winners[0]!.value, 'won');
    });

    it('does not lock a new file created under the name of one that was deleted while being written', async () => {
      const storage = open();
      const first = await storage.openWrite(vp('/deleted.bin'), { mode: 'truncate' });
      await unlink(path.join(root, 'deleted.bin'));
      await writeFile(storage, '/deleted.bin', 'new file');
      await finishUpload(first, 'orphaned');
      assert.equal(await readRealFile(path.join(root, 'deleted.bin'), 'utf8'), 'new file');
    });

    it('releases the file when a write fails midway', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
      const storage = open();
      const target = await storage.openWrite(vp('/fails.bin'), { mode: 'truncate' });
      await writeChunk(target, 'accepted');
      // Make the upload's descriptor unwritable under it: close it and put /dev/null (read-only) in
      // its place (open takes the lowest free number), so that the storage's own close later
      // closes that, never a descriptor of someone else.
      const real = path.join(root, 'fails.bin');
      const fd = Number(readdirSync('/proc/self/fd').find((entry) => { try { return readlinkSync(`/proc/self/fd/${entry}`) === real; } catch { return false; } }));
      closeSync(fd);
      assert.equal(openSync('/dev/null', 'r'), fd);
      const failed = once(target.stream, 'error');
      const closed = new Promise((resolve) => target.stream.once('close', resolve)); // once() would reject on 'error'
      target.stream.end(Buffer.from('rest'));
      const [error] = (await failed) as [unknown];
      assert.ok(error instanceof StorageError && error.kind === 'io-error', String(error));
      await closed;
      assert.equal(uploadLocksHeld(), 0);
      await writeFile(storage, '/fails.bin', 'after the failure');
      assert.equal(await readRealFile(real, 'utf8'), 'after the failure');
    });

    it('releases the file when the open fails after taking it (the cut at a REST offset fails)', async (t) => {
      const storage = open();
      await writeRealFile(path.join(root, 'huge-offset.bin'), 'content');
      let target: UploadTarget;
      try {
        target = await storage.openWrite(vp('/huge-offset.bin'), { mode: { offset: Number.MAX_SAFE_INTEGER } });
      } catch (error) {
        assert.ok(error instanceof StorageError, String(error));
        assert.equal(uploadLocksHeld(), 0);
        await writeFile(storage, '/huge-offset.bin', 'after the failure');
        return;
      }
      await destroyAndWait(target.stream, new Error('not needed'));
      t.skip('this file system takes files of 2^53 bytes (ext4 refuses them)');
    });
  });
}

// Regression: inline opens (fileIo 'auto') of a FIFO in the served tree blocked until its other
// end opened, and so froze every session; in the thread pool they held a thread.
for (const fileIo of ['auto', 'thread-pool'] as const) {
  describe(`LocalStorage with a FIFO in the tree (fileIo '${fileIo}')`, { skip: process.platform === 'win32' && 'no FIFOs' }, () => {
    let root: string;
    let storage: LocalStorage;
    let stopWatchdog = () => undefined as void;
    before(async () => {
      stopWatchdog = startHangWatchdog(30); // the bug froze the event loop, where no test timeout fires
      root = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-fifo-')));
      execFileSync('mkfifo', [path.join(root, 'pipe')]);
      storage = new LocalStorage(root, { fileIo });
      assert.equal(await isRootOnLocalFileSystem(root), true);
    });
    after(async () => {
      stopWatchdog();
      await rm(root, { recursive: true, force: true });
    });

    it('refuses to download it at once, with nobody writing to it', async () => {
      await expectKind(storage.openRead(vp('/pipe')), 'permission-denied');
    });

    it('refuses to upload into it at once, with nobody reading it', async () => {
      await expectKind(storage.openWrite(vp('/pipe'), { mode: 'truncate' }), 'permission-denied');
      await expectKind(storage.openWrite(vp('/pipe'), { mode: 'append' }), 'permission-denied');
    });

    it('refuses to upload into it while someone reads it, and writes nothing into it', async () => {
      const reader = spawn('cat', [path.join(root, 'pipe')]);
      let received = '';
      reader.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
      try {
        // The reader may not have opened its end yet: ENXIO then, the same refusal either way.
        await expectKind(storage.openWrite(vp('/pipe'), { mode: 'truncate' }), 'permission-denied');
      } finally {
        reader.kill();
      }
      assert.equal(received, '');
    });

    it('still serves regular files', async () => {
      await writeRealFile(path.join(root, 'f.txt'), 'plain');
      assert.equal((await readFile(storage, vp('/f.txt'))).toString(), 'plain');
    });
  });
}

describe('LocalStorage atomic uploads', () => {
  let root: string;
  let storage: Storage;
  before(async () => {
    root = await makeTemporaryDirectory();
    storage = new LocalStorage(root, { atomicUploads: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('keeps a partial upload invisible under the target name', async () => {
    await writeFile(storage, '/report.txt', 'old complete version');
    const target = await storage.openWrite(vp('/report.txt'), { mode: 'truncate' });
    await new Promise<void>((resolve, reject) => target.stream.write(Buffer.from('new but'), (error) => (error ? reject(error) : resolve())));
    assert.equal((await readFile(storage, '/report.txt')).toString(), 'old complete version');
    assert.deepEqual((await storage.list(vp('/'))).map((entry) => entry.name), ['report.txt']);
    target.stream.end(Buffer.from(' now complete'));
    await once(target.stream, 'finish');
    assert.equal((await readFile(storage, '/report.txt')).toString(), 'new but now complete');
  });

  it('removes the temporary file when the upload is destroyed, leaving the old file', async () => {
    await writeFile(storage, '/kept.txt', 'previous');
    const target = await storage.openWrite(vp('/kept.txt'), { mode: 'truncate' });
    await new Promise<void>((resolve, reject) => target.stream.write(Buffer.from('partial'), (error) => (error ? reject(error) : resolve())));
    await destroyAndWait(target.stream, new Error('client vanished'));
    assert.equal((await readFile(storage, '/kept.txt')).toString(), 'previous');
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.ferry-upload-')), []);
  });

  it('leaves no file at all when a first upload is destroyed', async () => {
    const target = await storage.openWrite(vp('/never.txt'), { mode: 'truncate' });
    await destroyAndWait(target.stream, new Error('client vanished'));
    await expectKind(storage.stat(vp('/never.txt')), 'not-found');
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.ferry-upload-')), []);
  });

  it('yields one complete upload, never a mix, when two uploads race to one name', async () => {
    const first = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const second = Buffer.alloc(2 * 1024 * 1024, 0x62);
    const chunked = (data: Buffer): Buffer[] => Array.from({ length: 32 }, (_, index) => data.subarray(index * 65536, (index + 1) * 65536));
    const [targetA, targetB] = await Promise.all([
      storage.openWrite(vp('/contested.bin'), { mode: 'truncate' }),
      storage.openWrite(vp('/contested.bin'), { mode: 'truncate' }),
    ]);
    await Promise.all([pipeline(Readable.from(chunked(first)), targetA.stream), pipeline(Readable.from(chunked(second)), targetB.stream)]);
    const result = await readFile(storage, '/contested.bin');
    assert.equal(result.length, first.length);
    assert.ok(result.equals(first) || result.equals(second), 'the file is exactly one of the two uploads');
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.ferry-upload-')), []);
  });

  it('lets only one of two racing exclusive uploads win', async () => {
    const [targetA, targetB] = await Promise.all([
      storage.openWrite(vp('/stou.txt'), { mode: 'truncate', isExclusive: true }),
      storage.openWrite(vp('/stou.txt'), { mode: 'truncate', isExclusive: true }),
    ]);
    const results = await Promise.allSettled([pipeline(Readable.from([Buffer.from('A')]), targetA.stream), pipeline(Readable.from([Buffer.from('B')]), targetB.stream)]);
    assert.deepEqual(results.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    assert.ok(rejected.reason instanceof StorageError);
    assert.equal(rejected.reason.kind, 'already-exists');
    assert.ok(['A', 'B'].includes((await readFile(storage, '/stou.txt')).toString()));
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.ferry-upload-')), []);
  });

  it('appends in place, since appending builds on what is already there', async () => {
    await writeFile(storage, '/append.txt', 'one');
    await writeFile(storage, '/append.txt', '+two', { mode: 'append' });
    assert.equal((await readFile(storage, '/append.txt')).toString(), 'one+two');
  });
});
