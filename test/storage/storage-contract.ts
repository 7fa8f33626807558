/**
 * The storage contract as executable specification: every Storage back-end runs this suite, so the
 * server can rely on one behaviour (ARCHITECTURE.md convention 14).
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { normalizeVirtualPath, type VirtualPath } from '../../src/protocol/virtual-path.js';
import { StorageError, type Storage, type StorageErrorKind, type UploadTarget, type WriteOptions } from '../../src/storage/storage.js';
import { uploadLocksHeld } from '../../src/storage/upload-lock.js';

/** A virtual path from a literal. */
export function vp(text: string): VirtualPath {
  return normalizeVirtualPath(text);
}

/** Upload `data` (one buffer or several chunks) through openWrite and wait for completion. */
export async function writeFile(storage: Storage, path: string, data: Buffer | string | Buffer[], options: WriteOptions = { mode: 'truncate' }): Promise<void> {
  const chunks = Array.isArray(data) ? data : [Buffer.from(data)];
  const target = await storage.openWrite(vp(path), options);
  await pipeline(Readable.from(chunks), target.stream);
}

/** Read a whole file (from `start`) through openRead. */
export async function readFile(storage: Storage, path: string, start?: number): Promise<Buffer> {
  const { stream } = await storage.openRead(vp(path), start === undefined ? {} : { start });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Assert that the promise rejects with a StorageError of this kind. */
export async function expectKind(promise: Promise<unknown>, kind: StorageErrorKind): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StorageError, `expected a StorageError, got ${String(error)}`);
    assert.equal(error.kind, kind, `expected kind ${kind}, got ${error.kind} (${error.message})`);
    return error;
  }
  assert.fail(`expected a StorageError of kind ${kind}, but the operation succeeded`);
}

/** Destroy an upload stream as a vanished client would, and wait until it has closed. */
export async function destroyAndWait(stream: Writable, error: Error): Promise<void> {
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.on('error', () => {}); // the error is the point; it must not fail the test
  stream.destroy(error);
  await closed;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Behaviour a back-end may legitimately choose; the defaults describe a plain non-atomic store. */
export interface StorageContractOptions {
  /** False for back-ends that discard an upload destroyed midway (atomic uploads). Default true. */
  keepsPartialUploads?: boolean;
  /**
   * False for back-ends whose truncating uploads write elsewhere and replace the file at the end
   * (atomic uploads): those need no lock, the last to finish wins. Default true.
   */
  locksTruncatingUploads?: boolean;
}

/** Write one chunk and wait until the stream accepted it. */
function writeChunk(target: UploadTarget, data: string): Promise<void> {
  return new Promise((resolve, reject) => target.stream.write(Buffer.from(data), (error) => (error ? reject(error) : resolve())));
}

/** End an upload stream and wait for 'finish'. */
async function endAndFinish(target: UploadTarget, data?: string): Promise<void> {
  const finished = once(target.stream, 'finish');
  target.stream.end(data === undefined ? undefined : Buffer.from(data));
  await finished;
}

/** Run the shared contract against a back-end; createStorage must give a fresh, empty root each time. */
export function runStorageContract(
  name: string,
  createStorage: () => Promise<{ storage: Storage; cleanup(): Promise<void> }>,
  options: StorageContractOptions = {},
): void {
  const keepsPartialUploads = options.keepsPartialUploads ?? true;
  const locksTruncatingUploads = options.locksTruncatingUploads ?? true;
  /** Modes that write the file in place, and so take its upload lock, in this back-end. */
  const inPlaceModes: readonly WriteOptions['mode'][] = ['append', { offset: 0 }, { offset: 3 }, ...(locksTruncatingUploads ? (['truncate'] as const) : [])];
  describe(`${name} meets the storage contract`, () => {
    let storage: Storage;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ storage, cleanup } = await createStorage());
    });
    afterEach(async () => {
      await cleanup();
      // A claim left behind would refuse every later upload of that file until a restart.
      assert.equal(uploadLocksHeld(), 0, 'every upload released its file');
    });

    describe('stat and list', () => {
      it('shows the root as an empty directory named "/"', async () => {
        const root = await storage.stat(vp('/'));
        assert.equal(root.type, 'directory');
        assert.equal(root.name, '/');
        assert.deepEqual(await storage.list(vp('/')), []);
      });

      it('describes a file by name, type, size, time, mode, owner and unique id', async () => {
        const before = Date.now();
        await writeFile(storage, '/a.txt', 'hello');
        const stat = await storage.stat(vp('/a.txt'));
        assert.equal(stat.name, 'a.txt');
        assert.equal(stat.type, 'file');
        assert.equal(stat.size, 5);
        assert.ok(stat.modifiedAt instanceof Date);
        assert.ok(stat.modifiedAt.getTime() >= before - 2000 && stat.modifiedAt.getTime() <= Date.now() + 2000);
        assert.equal(typeof stat.mode, 'number');
        assert.equal(stat.mode! & ~0o7777, 0);
        assert.equal(stat.owner, 'ftp');
        assert.equal(stat.group, 'ftp');
        assert.match(stat.uniqueId ?? '', /^[0-9a-z]+$/);
      });

      it('gives distinct files distinct unique ids and keeps a file\'s id stable', async () => {
        await writeFile(storage, '/a', 'a');
        await writeFile(storage, '/b', 'b');
        const first = await storage.stat(vp('/a'));
        assert.notEqual(first.uniqueId, (await storage.stat(vp('/b'))).uniqueId);
        assert.equal((await storage.stat(vp('/a'))).uniqueId, first.uniqueId);
      });

      it('lists files and directories with their types and sizes', async () => {
        await writeFile(storage, '/file.bin', Buffer.alloc(1234));
        await storage.makeDirectory(vp('/dir'));
        const entries = (await storage.list(vp('/'))).sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(
          entries.map((entry) => [entry.name, entry.type, entry.type === 'file' ? entry.size : null]),
          [
            ['dir', 'directory', null],
            ['file.bin', 'file', 1234],
          ],
        );
      });

      it('lists a subdirectory', async () => {
        await storage.makeDirectory(vp('/dir'));
        await writeFile(storage, '/dir/inner', 'x');
        assert.deepEqual((await storage.list(vp('/dir'))).map((entry) => entry.name), ['inner']);
      });

      it('refuses to list a file with not-a-directory', async () => {
        await writeFile(storage, '/a.txt', 'x');
        await expectKind(storage.list(vp('/a.txt')), 'not-a-directory');
      });

      it('reports not-found for a missing path in stat and list', async () => {
        await expectKind(storage.stat(vp('/missing')), 'not-found');
        await expectKind(storage.list(vp('/missing')), 'not-found');
        await expectKind(storage.stat(vp('/missing/deeper')), 'not-found');
      });

      it('reports not-a-directory for a path that goes through a file', async () => {
        await writeFile(storage, '/a.txt', 'x');
        await expectKind(storage.stat(vp('/a.txt/child')), 'not-a-directory');
      });

      it('lists in order (when it offers listInOrder): list() sorted by name, filtered, errors as list()', async (t) => {
        if (!storage.listInOrder) {
          t.skip('no listInOrder: listings use list() and sort');
          return;
        }
        // Names whose order differs between code points and UTF-16 code units (JavaScript's order):
        // U+1F600 is a surrogate pair, so it sorts before U+E000 and U+FF5A.
        const names = ['b.txt', 'a.txt', '.hidden', 'Z', '\u{1F600}-emoji', '\uE000-private', '\uFF5A-fullwidth', 'é'];
        for (const name of names) await writeFile(storage, `/${name}`, name);
        await storage.makeDirectory(vp('/dir'));
        const listing = await storage.listInOrder(vp('/'), (name) => !name.startsWith('.'));
        const seen: string[] = [];
        for await (const batch of listing.batches) for (const entry of batch) seen.push(entry.name);
        listing.close();
        const expected = [...names.filter((name) => !name.startsWith('.')), 'dir'].sort();
        assert.deepEqual(seen, expected);
        assert.equal(listing.count, expected.length);
        const everything = await storage.listInOrder(vp('/'), () => true);
        const all: string[] = [];
        for await (const batch of everything.batches) all.push(...batch.map((entry) => entry.name));
        assert.deepEqual(all, (await storage.list(vp('/'))).map((entry) => entry.name).sort());
        await expectKind(storage.listInOrder(vp('/missing'), () => true), 'not-found');
        await expectKind(storage.listInOrder(vp('/a.txt'), () => true), 'not-a-directory');
      });

      it('refuses a cast path with ".." segments with permission-denied', async () => {
        await expectKind(storage.stat('/../x' as VirtualPath), 'permission-denied');
        await expectKind(storage.list('/a/../..' as VirtualPath), 'permission-denied');
      });
    });

    describe('reading', () => {
      it('reads a file back byte for byte', async () => {
        const data = randomBytes(10_000);
        await writeFile(storage, '/data.bin', data);
        assert.deepEqual(await readFile(storage, '/data.bin'), data);
      });

      it('reads an empty file as no bytes', async () => {
        await writeFile(storage, '/empty', Buffer.alloc(0));
        assert.equal((await readFile(storage, '/empty')).length, 0);
        assert.equal((await storage.stat(vp('/empty'))).size, 0);
      });

      it('reads from a REST offset', async () => {
        await writeFile(storage, '/digits', '0123456789');
        assert.equal((await readFile(storage, '/digits', 4)).toString(), '456789');
        assert.equal((await readFile(storage, '/digits', 10)).toString(), '');
      });

      it('reads nothing from an offset past the end', async () => {
        await writeFile(storage, '/digits', '0123456789');
        assert.equal((await readFile(storage, '/digits', 100)).length, 0);
      });

      it('refuses to read a directory with is-a-directory', async () => {
        await storage.makeDirectory(vp('/dir'));
        await expectKind(storage.openRead(vp('/dir')), 'is-a-directory');
        await expectKind(storage.openRead(vp('/')), 'is-a-directory');
      });

      it('refuses to read a missing file with not-found', async () => {
        await expectKind(storage.openRead(vp('/missing')), 'not-found');
      });

      it('serves two concurrent readers of one file', async () => {
        const data = randomBytes(600_000);
        await writeFile(storage, '/shared', data);
        const [first, second] = await Promise.all([readFile(storage, '/shared'), readFile(storage, '/shared', 1)]);
        assert.equal(sha256(first), sha256(data));
        assert.equal(sha256(second), sha256(data.subarray(1)));
      });
    });

    describe('writing', () => {
      it('replaces a longer file on a truncating write', async () => {
        await writeFile(storage, '/f', 'a long original content');
        await writeFile(storage, '/f', 'short');
        assert.equal((await readFile(storage, '/f')).toString(), 'short');
        assert.equal((await storage.stat(vp('/f'))).size, 5);
      });

      it('appends to an existing file and creates a missing one', async () => {
        await writeFile(storage, '/log', 'one,', { mode: 'append' });
        await writeFile(storage, '/log', 'two', { mode: 'append' });
        assert.equal((await readFile(storage, '/log')).toString(), 'one,two');
      });

      it('writes from a REST offset and cuts the rest of the file there', async () => {
        await writeFile(storage, '/f', '0123456789');
        await writeFile(storage, '/f', 'ab', { mode: { offset: 4 } });
        assert.equal((await readFile(storage, '/f')).toString(), '0123ab');
      });

      it('resumes an upload at the current size', async () => {
        const data = randomBytes(300_000);
        await writeFile(storage, '/resume', data.subarray(0, 123_457));
        const size = (await storage.stat(vp('/resume'))).size;
        await writeFile(storage, '/resume', data.subarray(size), { mode: { offset: size } });
        assert.equal(sha256(await readFile(storage, '/resume')), sha256(data));
      });

      it('zero-fills when the offset lies past the end, and creates a missing file', async () => {
        await writeFile(storage, '/f', 'ab');
        await writeFile(storage, '/f', 'z', { mode: { offset: 4 } });
        assert.deepEqual(await readFile(storage, '/f'), Buffer.from('ab\0\0z'));
        await writeFile(storage, '/new', 'q', { mode: { offset: 2 } });
        assert.deepEqual(await readFile(storage, '/new'), Buffer.from('\0\0q'));
      });

      it('writes with offset 0 like a truncating write', async () => {
        await writeFile(storage, '/f', '0123456789');
        await writeFile(storage, '/f', 'xy', { mode: { offset: 0 } });
        assert.equal((await readFile(storage, '/f')).toString(), 'xy');
      });

      it('creates a file exclusively and refuses an existing one with already-exists, leaving it unchanged', async () => {
        await writeFile(storage, '/unique', 'first', { mode: 'truncate', isExclusive: true });
        await expectKind(storage.openWrite(vp('/unique'), { mode: 'truncate', isExclusive: true }), 'already-exists');
        assert.equal((await readFile(storage, '/unique')).toString(), 'first');
      });

      it('refuses a write whose parent is missing (not-found) or a file (not-a-directory)', async () => {
        await expectKind(storage.openWrite(vp('/missing/f'), { mode: 'truncate' }), 'not-found');
        await writeFile(storage, '/file', 'x');
        await expectKind(storage.openWrite(vp('/file/f'), { mode: 'truncate' }), 'not-a-directory');
      });

      it('refuses to write onto a directory with is-a-directory', async () => {
        await storage.makeDirectory(vp('/dir'));
        await expectKind(storage.openWrite(vp('/dir'), { mode: 'truncate' }), 'is-a-directory');
        await expectKind(storage.openWrite(vp('/dir'), { mode: 'append' }), 'is-a-directory');
        await expectKind(storage.openWrite(vp('/'), { mode: 'truncate' }), 'is-a-directory');
      });

      it('has the data readable as soon as the upload stream finished', async () => {
        const data = randomBytes(1_000_003);
        const target = await storage.openWrite(vp('/done'), { mode: 'truncate' });
        const finished = once(target.stream, 'finish');
        target.stream.end(data);
        await finished;
        assert.equal((await storage.stat(vp('/done'))).size, data.length);
        assert.equal(sha256(await readFile(storage, '/done')), sha256(data));
      });

      it(keepsPartialUploads ? 'keeps what was written when an upload is destroyed midway' : 'discards an upload destroyed midway', async () => {
        const target = await storage.openWrite(vp('/partial'), { mode: 'truncate' });
        await new Promise<void>((resolve, reject) => target.stream.write(Buffer.from('first part'), (error) => (error ? reject(error) : resolve())));
        await destroyAndWait(target.stream, new Error('client vanished'));
        if (keepsPartialUploads) assert.equal((await readFile(storage, '/partial')).toString(), 'first part');
        else await expectKind(storage.stat(vp('/partial')), 'not-found');
      });

      it('keeps what was written by an append destroyed midway', async () => {
        await writeFile(storage, '/appended', 'start,');
        const target = await storage.openWrite(vp('/appended'), { mode: 'append' });
        await new Promise<void>((resolve, reject) => target.stream.write(Buffer.from('more'), (error) => (error ? reject(error) : resolve())));
        await destroyAndWait(target.stream, new Error('client vanished'));
        assert.equal((await readFile(storage, '/appended')).toString(), 'start,more');
      });

      it('streams a large file in chunks intact (SHA-256)', async () => {
        const chunks = Array.from({ length: 160 }, () => randomBytes(64 * 1024 + 17));
        const whole = Buffer.concat(chunks);
        await writeFile(storage, '/large.bin', chunks);
        assert.equal((await storage.stat(vp('/large.bin'))).size, whole.length);
        const hash = createHash('sha256');
        let chunkCount = 0;
        const opened = await storage.openRead(vp('/large.bin'));
        assert.equal(opened.size, whole.length, 'openRead reports the file size');
        for await (const chunk of opened.stream) {
          hash.update(chunk as Buffer);
          chunkCount++;
        }
        assert.equal(hash.digest('hex'), sha256(whole));
        assert.ok(chunkCount > 1, 'a large file is streamed in several chunks');
        const offset = 5_000_001;
        assert.equal(sha256(await readFile(storage, '/large.bin', offset)), sha256(whole.subarray(offset)));
        const fromOffset = await storage.openRead(vp('/large.bin'), { start: offset });
        fromOffset.stream.destroy();
        assert.equal(fromOffset.size, whole.length, 'the size is the whole file, not what is left after the offset');
      });
    });

    // Regression: two sessions storing one name at once both got 226 and the file became an
    // interleaving of both uploads' chunks.
    describe('one writer per file', () => {
      for (const firstMode of inPlaceModes) {
        it(`refuses any upload of a file that a ${JSON.stringify(firstMode)} upload is writing with busy, and changes nothing`, async () => {
          await writeFile(storage, '/same', 'old content');
          const first = await storage.openWrite(vp('/same'), { mode: firstMode });
          await writeChunk(first, 'first,');
          for (const secondMode of inPlaceModes) {
            const error = await expectKind(storage.openWrite(vp('/same'), { mode: secondMode }), 'busy');
            assert.match(error.message, /being uploaded by another session; try again later/);
          }
          await endAndFinish(first, 'done');
          const expected = firstMode === 'append' ? 'old contentfirst,done' : typeof firstMode === 'object' ? 'old'.slice(0, firstMode.offset) + 'first,done' : 'first,done';
          assert.equal((await readFile(storage, '/same')).toString(), expected, 'the refused uploads neither cut nor wrote the file');
          await writeFile(storage, '/same', 'next upload', { mode: firstMode === 'append' ? 'append' : { offset: 0 } });
          assert.match((await readFile(storage, '/same')).toString(), /next upload$/);
        });
      }

      it('accepts an upload of the file as soon as the previous one finished', async () => {
        for (const mode of inPlaceModes) {
          const first = await storage.openWrite(vp('/again'), { mode });
          await endAndFinish(first, 'x');
          const second = await storage.openWrite(vp('/again'), { mode });
          await endAndFinish(second, 'y');
        }
      });

      it('releases the file when an upload is destroyed midway (the client vanished)', async () => {
        for (const mode of inPlaceModes) {
          const first = await storage.openWrite(vp('/vanished'), { mode });
          await writeChunk(first, 'partial');
          await destroyAndWait(first.stream, new Error('client vanished'));
          await writeFile(storage, '/vanished', 'after', { mode });
        }
      });

      it('releases the file when an upload is destroyed before any data arrived', async () => {
        const first = await storage.openWrite(vp('/unused'), { mode: 'append' });
        await destroyAndWait(first.stream, new Error('no data connection'));
        await writeFile(storage, '/unused', 'after', { mode: 'append' });
        assert.equal((await readFile(storage, '/unused')).toString(), 'after');
      });

      it('still serves readers of the file and uploads of other files meanwhile', async () => {
        await writeFile(storage, '/busy', 'readable');
        const first = await storage.openWrite(vp('/busy'), { mode: 'append' });
        assert.equal((await readFile(storage, '/busy')).toString(), 'readable');
        await writeFile(storage, '/other', 'independent');
        await endAndFinish(first);
      });

      if (!locksTruncatingUploads) {
        it('lets concurrent truncating uploads through, the last to finish wins', async () => {
          const first = await storage.openWrite(vp('/atomic'), { mode: 'truncate' });
          const second = await storage.openWrite(vp('/atomic'), { mode: 'truncate' });
          await endAndFinish(first, 'first');
          await endAndFinish(second, 'second');
          assert.equal((await readFile(storage, '/atomic')).toString(), 'second');
        });
      }
    });

    describe('deleting files', () => {
      it('deletes a file', async () => {
        await writeFile(storage, '/f', 'x');
        await storage.deleteFile(vp('/f'));
        await expectKind(storage.stat(vp('/f')), 'not-found');
      });

      it('refuses a missing file (not-found), a directory (is-a-directory) and the root (permission-denied)', async () => {
        await expectKind(storage.deleteFile(vp('/missing')), 'not-found');
        await storage.makeDirectory(vp('/dir'));
        await expectKind(storage.deleteFile(vp('/dir')), 'is-a-directory');
        await expectKind(storage.deleteFile(vp('/')), 'permission-denied');
      });
    });

    describe('directories', () => {
      it('creates a directory', async () => {
        await storage.makeDirectory(vp('/dir'));
        assert.equal((await storage.stat(vp('/dir'))).type, 'directory');
        assert.deepEqual(await storage.list(vp('/dir')), []);
      });

      it('refuses to create over an existing name with already-exists', async () => {
        await storage.makeDirectory(vp('/dir'));
        await expectKind(storage.makeDirectory(vp('/dir')), 'already-exists');
        await writeFile(storage, '/file', 'x');
        await expectKind(storage.makeDirectory(vp('/file')), 'already-exists');
        await expectKind(storage.makeDirectory(vp('/')), 'already-exists');
      });

      it('creates one level only: a missing parent is not-found, a file parent not-a-directory', async () => {
        await expectKind(storage.makeDirectory(vp('/a/b')), 'not-found');
        await writeFile(storage, '/file', 'x');
        await expectKind(storage.makeDirectory(vp('/file/b')), 'not-a-directory');
      });

      it('removes an empty directory', async () => {
        await storage.makeDirectory(vp('/dir'));
        await storage.removeDirectory(vp('/dir'));
        await expectKind(storage.stat(vp('/dir')), 'not-found');
      });

      it('refuses to remove a non-empty directory with directory-not-empty', async () => {
        await storage.makeDirectory(vp('/dir'));
        await writeFile(storage, '/dir/f', 'x');
        await expectKind(storage.removeDirectory(vp('/dir')), 'directory-not-empty');
        assert.equal((await storage.stat(vp('/dir/f'))).size, 1);
      });

      it('refuses to remove a file (not-a-directory), a missing path (not-found) and the root (permission-denied)', async () => {
        await writeFile(storage, '/file', 'x');
        await expectKind(storage.removeDirectory(vp('/file')), 'not-a-directory');
        await expectKind(storage.removeDirectory(vp('/missing')), 'not-found');
        await expectKind(storage.removeDirectory(vp('/')), 'permission-denied');
      });
    });

    describe('renaming', () => {
      it('renames a file', async () => {
        await writeFile(storage, '/old', 'content');
        await storage.rename(vp('/old'), vp('/new'));
        await expectKind(storage.stat(vp('/old')), 'not-found');
        assert.equal((await readFile(storage, '/new')).toString(), 'content');
      });

      it('moves a file between directories', async () => {
        await storage.makeDirectory(vp('/a'));
        await storage.makeDirectory(vp('/b'));
        await writeFile(storage, '/a/f', 'moved');
        await storage.rename(vp('/a/f'), vp('/b/g'));
        assert.deepEqual(await storage.list(vp('/a')), []);
        assert.equal((await readFile(storage, '/b/g')).toString(), 'moved');
      });

      it('renames a directory with its contents', async () => {
        await storage.makeDirectory(vp('/dir'));
        await writeFile(storage, '/dir/inner', 'x');
        await storage.rename(vp('/dir'), vp('/renamed'));
        assert.equal((await readFile(storage, '/renamed/inner')).toString(), 'x');
        await expectKind(storage.stat(vp('/dir')), 'not-found');
      });

      it('replaces an existing file when renaming onto it', async () => {
        await writeFile(storage, '/from', 'new content');
        await writeFile(storage, '/to', 'old');
        await storage.rename(vp('/from'), vp('/to'));
        assert.equal((await readFile(storage, '/to')).toString(), 'new content');
        await expectKind(storage.stat(vp('/from')), 'not-found');
      });

      it('refuses a missing source with not-found', async () => {
        await expectKind(storage.rename(vp('/missing'), vp('/x')), 'not-found');
      });

      it('refuses a directory onto a file (not-a-directory) and a file onto a directory (is-a-directory)', async () => {
        await storage.makeDirectory(vp('/dir'));
        await writeFile(storage, '/file', 'x');
        await expectKind(storage.rename(vp('/dir'), vp('/file')), 'not-a-directory');
        await expectKind(storage.rename(vp('/file'), vp('/dir')), 'is-a-directory');
      });

      it('refuses a directory onto a non-empty directory with directory-not-empty', async () => {
        await storage.makeDirectory(vp('/a'));
        await storage.makeDirectory(vp('/b'));
        await writeFile(storage, '/b/f', 'x');
        await expectKind(storage.rename(vp('/a'), vp('/b')), 'directory-not-empty');
      });

      it('refuses to move a directory into itself with invalid-name', async () => {
        await storage.makeDirectory(vp('/a'));
        await expectKind(storage.rename(vp('/a'), vp('/a/b')), 'invalid-name');
      });

      it('refuses to rename the root or onto the root with permission-denied', async () => {
        await writeFile(storage, '/f', 'x');
        await expectKind(storage.rename(vp('/'), vp('/x')), 'permission-denied');
        await expectKind(storage.rename(vp('/f'), vp('/')), 'permission-denied');
      });
    });

    describe('metadata changes', () => {
      it('sets the modification time of a file and a directory', async () => {
        await writeFile(storage, '/f', 'x');
        await storage.makeDirectory(vp('/d'));
        const when = new Date('2001-02-03T04:05:06Z');
        await storage.setModificationTime(vp('/f'), when);
        await storage.setModificationTime(vp('/d'), when);
        assert.equal((await storage.stat(vp('/f'))).modifiedAt?.getTime(), when.getTime());
        assert.equal((await storage.stat(vp('/d'))).modifiedAt?.getTime(), when.getTime());
        const listed = (await storage.list(vp('/'))).find((entry) => entry.name === 'f');
        assert.equal(listed?.modifiedAt?.getTime(), when.getTime());
      });

      it('changes permission bits, masked to 0o7777', async () => {
        await writeFile(storage, '/f', 'x');
        await storage.changeMode(vp('/f'), 0o640);
        assert.equal((await storage.stat(vp('/f'))).mode, 0o640);
        await storage.changeMode(vp('/f'), 0o100604);
        assert.equal((await storage.stat(vp('/f'))).mode, 0o604);
      });

      it('reports not-found when changing a missing path', async () => {
        await expectKind(storage.setModificationTime(vp('/missing'), new Date()), 'not-found');
        await expectKind(storage.changeMode(vp('/missing'), 0o644), 'not-found');
      });
    });

    describe('names', () => {
      const names = ['my file.txt', ' leading space', 'trailing space ', '-rf', '--help', 'ünïcödé 日本語.txt', 'emoji 🚢', 'quote"and\'apostrophe', 'back\\slash', '#hash%percent'];

      for (const name of names) {
        it(`handles the name ${JSON.stringify(name)} in every operation`, async () => {
          await writeFile(storage, `/${name}`, name);
          assert.deepEqual((await storage.list(vp('/'))).map((entry) => entry.name), [name]);
          assert.equal((await storage.stat(vp(`/${name}`))).name, name);
          assert.equal((await readFile(storage, `/${name}`)).toString(), name);
          await storage.rename(vp(`/${name}`), vp(`/${name}.moved`));
          await storage.makeDirectory(vp(`/${name}`));
          await storage.rename(vp(`/${name}.moved`), vp(`/${name}/${name}`));
          assert.equal((await readFile(storage, `/${name}/${name}`)).toString(), name);
          await storage.deleteFile(vp(`/${name}/${name}`));
          await storage.removeDirectory(vp(`/${name}`));
          assert.deepEqual(await storage.list(vp('/')), []);
        });
      }
    });

    describe('errors', () => {
      it('carries client-safe messages on every StorageError', async () => {
        const error = await expectKind(storage.openRead(vp('/no/such/file')), 'not-found');
        assert.equal(error.message, 'No such file or directory');
        assert.equal(error.code, 'ERR_FTP_STORAGE');
        assert.equal(error.name, 'StorageError');
      });
    });
  });
}
