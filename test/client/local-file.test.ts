/**
 * The client's local files under the shared inline policy (src/client/local-file.ts): with fileIo
 * 'auto' a small download or upload makes its file calls on the event loop, with 'thread-pool' (or
 * while the watchdog suspends inline calls) through libuv's thread pool; the bytes and the file's
 * time come out the same either way. The server is pyftpdlib, in its own process, so that every
 * thread-pool request counted here is the client's.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { FtpClient } from '../../src/client/ftp-client.js';
import { mirrorDownload } from '../../src/client/mirror.js';
import { recordInlineCallForTest, resetInlineFileIoWatchdog, slowInlineCallMs, type FileIoMode } from '../../src/file-io/inline-file-io.js';
import { countThreadPoolRequests } from '../helpers/async-resource-count.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startHangWatchdog } from '../helpers/hang-watchdog.js';
import type { FtpTestServer } from './support/ftp-test-server.js';
import { bufferDigest, fileDigest, randomContent } from './support/file-checks.js';
import { isPyftpdlibAvailable, startPyftpdlib } from './support/pyftpdlib.js';

const skip = isPyftpdlibAvailable() ? false : 'python3-pyftpdlib is not installed';

describe('local files of downloads and uploads', { skip }, () => {
  let server: FtpTestServer;
  const content = randomContent(40_000);
  const modifiedAt = new Date('2021-03-04T05:06:07Z');

  before(async () => {
    server = await startPyftpdlib('127.0.0.1');
    await writeFile(join(server.writableLocalDir, 'small.bin'), content);
  });
  after(() => server.stop());
  afterEach(() => resetInlineFileIoWatchdog());

  async function connected(t: test.TestContext, fileIo: FileIoMode): Promise<FtpClient> {
    const client = new FtpClient({ fileIo });
    t.after(() => client.close());
    await client.connect({ host: server.host, port: server.port, user: server.user, password: server.password });
    return client;
  }

  /** Download small.bin into a fresh directory twice (the first asks the directory's file system); count the second's requests. */
  async function downloadTwice(t: test.TestContext, fileIo: FileIoMode): Promise<{ target: string; requests: number }> {
    const client = await connected(t, fileIo);
    const directory = await makeTempDir(t);
    const remote = `${server.writableDir}/small.bin`;
    await client.download(remote, join(directory, 'first.bin'));
    const target = join(directory, 'second.bin');
    const { requests } = await countThreadPoolRequests(() => client.download(remote, target, { modifiedAt }));
    return { target, requests };
  }

  test("with fileIo 'auto' a small download opens, writes, times and closes its file without the thread pool", async (t) => {
    const { target, requests } = await downloadTwice(t, 'auto');
    assert.equal(requests, 0);
    assert.deepEqual(await fileDigest(target), bufferDigest(content));
    assert.equal((await stat(target)).mtime.getTime(), modifiedAt.getTime());
  });

  test("with fileIo 'thread-pool' the same download goes through the thread pool and writes the same file", async (t) => {
    const { target, requests } = await downloadTwice(t, 'thread-pool');
    assert.ok(requests >= 4, `open, write, futimes and close in the thread pool (${requests} requests)`);
    assert.deepEqual(await fileDigest(target), bufferDigest(content));
    assert.equal((await stat(target)).mtime.getTime(), modifiedAt.getTime());
  });

  test('while the watchdog suspends inline calls, downloads use the thread pool', async (t) => {
    recordInlineCallForTest(slowInlineCallMs + 1);
    const { target, requests } = await downloadTwice(t, 'auto');
    assert.ok(requests >= 4, `suspended: ${requests} thread-pool requests`);
    assert.deepEqual(await fileDigest(target), bufferDigest(content));
  });

  for (const fileIo of ['auto', 'thread-pool'] as const) {
    test(`with fileIo '${fileIo}' a small upload reads its file ${fileIo === 'auto' ? 'without' : 'through'} the thread pool`, async (t) => {
      const client = await connected(t, fileIo);
      const directory = await makeTempDir(t);
      const source = join(directory, 'up.bin');
      await writeFile(source, content);
      await client.upload(source, `${server.writableDir}/up-first-${fileIo}.bin`); // asks the directory's file system
      const remote = `${server.writableDir}/up-${fileIo}.bin`;
      const { requests } = await countThreadPoolRequests(() => client.upload(source, remote));
      if (fileIo === 'auto') assert.equal(requests, 0);
      else assert.ok(requests >= 4, `open, fstat, read and close in the thread pool (${requests} requests)`);
      assert.deepEqual(bufferDigest(await readFile(join(server.writableLocalDir, `up-${fileIo}.bin`))), bufferDigest(content));
    });
  }

  for (const fileIo of ['auto', 'thread-pool'] as const) {
    test(`with fileIo '${fileIo}' a mirror compares the files it already has ${fileIo === 'auto' ? 'without' : 'through'} the thread pool`, async (t) => {
      const remoteTree = `${server.writableDir}/tree-${fileIo}`;
      await mkdir(join(server.writableLocalDir, `tree-${fileIo}`));
      for (let index = 0; index < 30; index++) await writeFile(join(server.writableLocalDir, `tree-${fileIo}`, `f${index}`), content.subarray(index));
      const target = await makeTempDir(t);
      const options = { connect: () => connected(t, fileIo), fileIo };
      assert.equal((await mirrorDownload(remoteTree, target, options)).transferredFiles, 30);
      const { result, requests } = await countThreadPoolRequests(() => mirrorDownload(remoteTree, target, options));
      assert.equal(result.skippedFiles, 30, 'the second mirror finds every file identical');
      // Left in the thread pool either way: the root's mkdir, the readdir, the first lstat of the directory.
      if (fileIo === 'auto') assert.ok(requests <= 5, `${requests} requests`);
      else assert.ok(requests >= 30, `an lstat per file (${requests} requests)`);
    });
  }

  for (const fileIo of ['auto', 'thread-pool'] as const) {
    test(`with fileIo '${fileIo}' a download that refuses symbolic links fails on one with ELOOP and leaves its target alone`, async (t) => {
      const client = await connected(t, fileIo);
      const directory = await makeTempDir(t);
      const target = join(directory, 'target.txt');
      await writeFile(target, 'keep');
      const link = join(directory, 'link.bin');
      await symlink(target, link);
      const remote = `${server.writableDir}/small.bin`;
      await client.download(remote, join(directory, 'warm.bin')); // asks the directory's file system
      await assert.rejects(client.download(remote, link, { refusesSymlink: true }), { code: 'ELOOP' });
      await assert.rejects(client.download(remote, link, { refusesSymlink: true, startAt: 10 }), { code: 'ELOOP' });
      assert.equal(await readFile(target, 'utf8'), 'keep');
      assert.equal(await client.pwd(), '/', 'the session goes on');
    });
  }

  for (const fileIo of ['auto', 'thread-pool'] as const) {
    // Regression: close() waited for a finished ASCII stream's 'close', which a stream made with
    // autoClose: false never emits, so the transfer never settled.
    test(`with fileIo '${fileIo}' an ASCII download to a local path and an ASCII upload from one settle, with lines converted`, async (t) => {
      const stopWatchdog = startHangWatchdog(30);
      t.after(stopWatchdog);
      const client = await connected(t, fileIo);
      const directory = await makeTempDir(t);
      const source = join(directory, 'local.txt');
      await writeFile(source, 'one\ntwo\n');
      await client.upload(source, `${server.writableDir}/ascii-${fileIo}.txt`, { type: 'ascii' });
      assert.equal(await readFile(join(server.writableLocalDir, `ascii-${fileIo}.txt`), 'utf8'), 'one\ntwo\n', 'pyftpdlib stores LF on Unix');
      const target = join(directory, 'back.txt');
      await client.download(`${server.writableDir}/ascii-${fileIo}.txt`, target, { type: 'ascii' });
      assert.equal(await readFile(target, 'utf8'), 'one\ntwo\n');
      await assert.rejects(client.download(`${server.writableDir}/missing.txt`, join(directory, 'missing.txt'), { type: 'ascii' }), { replyCode: 550 });
      await assert.rejects(stat(join(directory, 'missing.txt')), { code: 'ENOENT' }, 'a refused RETR leaves no file');
      assert.equal(await client.pwd(), '/');
    });
  }

  // Regression: the inline open of a FIFO waited for its reader on the event loop, so a reader in
  // the same process could never start.
  test("with fileIo 'auto' a download into a FIFO opens it in the thread pool, and the event loop goes on", { skip: process.platform === 'win32' && 'no FIFOs' }, async (t) => {
    const stopWatchdog = startHangWatchdog(30);
    t.after(stopWatchdog);
    const client = await connected(t, 'auto');
    const directory = await makeTempDir(t);
    await client.download(`${server.writableDir}/small.bin`, join(directory, 'warm.bin')); // asks the directory's file system
    const fifo = join(directory, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const downloading = client.download(`${server.writableDir}/small.bin`, fifo);
    await new Promise((resolve) => setTimeout(resolve, 20)); // runs only if the open did not block the loop
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(fifo)) chunks.push(chunk as Buffer);
    await downloading;
    assert.deepEqual(bufferDigest(Buffer.concat(chunks)), bufferDigest(content));
  });

  test("an upload from a FIFO sends what is written into it until its writer closes it", { skip: process.platform === 'win32' && 'no FIFOs' }, async (t) => {
    const stopWatchdog = startHangWatchdog(30);
    t.after(stopWatchdog);
    const client = await connected(t, 'auto');
    const directory = await makeTempDir(t);
    const fifo = join(directory, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'inherit'] });
    writer.stdin.end(content);
    await client.upload(fifo, `${server.writableDir}/from-fifo.bin`);
    assert.deepEqual(bufferDigest(await readFile(join(server.writableLocalDir, 'from-fifo.bin'))), bufferDigest(content));
  });

  test('a resumed download that finds the file complete still gives it the time asked for', async (t) => {
    const client = await connected(t, 'auto');
    const target = join(await makeTempDir(t), 'done.bin');
    await writeFile(target, content);
    const result = await client.download(`${server.writableDir}/small.bin`, target, { resume: true, modifiedAt });
    assert.equal(result.transferredBytes, 0);
    assert.equal((await stat(target)).mtime.getTime(), modifiedAt.getTime());
  });
});
