/**
 * The client's specification against one real server, run once per data mode and address family:
 * every transfer is checked by size and SHA-256 against the server's files on disk.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile, readdir, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FtpClient, type FtpClientOptions } from '../../../src/client/ftp-client.js';
import { FtpAbortError, FtpBusyError, FtpReplyError } from '../../../src/client/errors.js';
import { mirrorDownload, mirrorUpload } from '../../../src/client/mirror.js';
import type { FtpTestServer } from './ftp-test-server.js';
import { bufferDigest, fileDigest, randomContent } from './file-checks.js';

/** One way of reaching the server: data mode and EPSV/EPRT use. */
export interface ClientVariant {
  readonly label: string;
  readonly options: FtpClientOptions;
}

/** The variants every server is tested in. IPv6 variants are added by the caller when available. */
export const standardVariants: readonly ClientVariant[] = [
  { label: 'passive (EPSV)', options: { dataMode: 'passive' } },
  { label: 'passive (PASV only)', options: { dataMode: 'passive', usesEpsv: false } },
  { label: 'active (EPRT)', options: { dataMode: 'active' } },
  { label: 'active (PORT only)', options: { dataMode: 'active', usesEprt: false } },
];

/** Run the client specification against servers from `start`, on `host`, in each variant. */
export function describeClientAgainst(
  serverName: string,
  host: string,
  start: (host: string) => Promise<FtpTestServer>,
  variants: readonly ClientVariant[],
): void {
  describe(`FtpClient against ${serverName} on ${host}`, () => {
    let server: FtpTestServer;
    let scratch: string;
    before(async () => {
      server = await start(host);
      scratch = await mkdtemp(join(tmpdir(), 'ferry-client-'));
    });
    after(async () => {
      await server?.stop();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    for (const [index, variant] of variants.entries()) {
      describe(variant.label, () => {
        const dirName = `v${index}`;
        let client: FtpClient;
        let remoteDir: string;
        let diskDir: string;
        let localDir: string;
        const connect = async (): Promise<FtpClient> => {
          const fresh = new FtpClient({ ...variant.options, replyTimeoutMs: 10_000, dataTimeoutMs: 10_000 });
          await fresh.connect({ host: server.host, port: server.port, user: server.user, password: server.password });
          return fresh;
        };
        before(async () => {
          remoteDir = `${server.writableDir.replace(/\/$/, '')}/${dirName}`;
          diskDir = join(server.writableLocalDir, dirName);
          localDir = join(scratch, dirName);
          await mkdir(diskDir, { recursive: true });
          await mkdir(localDir, { recursive: true });
          await server.adoptLocalFiles(diskDir);
          client = await connect();
        });
        after(async () => {
          await client?.close();
        });

        it('lists a directory with names, types and sizes', async () => {
          await mkdir(join(diskDir, 'listing', 'sub dir'), { recursive: true });
          await writeFile(join(diskDir, 'listing', 'three bytes.txt'), 'abc');
          await writeFile(join(diskDir, 'listing', 'empty'), '');
          await server.adoptLocalFiles(join(diskDir, 'listing'));
          const entries = await client.list(`${remoteDir}/listing`);
          const byName = new Map(entries.map((entry) => [entry.name, entry]));
          assert.deepEqual([...byName.keys()].sort(), ['empty', 'sub dir', 'three bytes.txt']);
          assert.equal(byName.get('three bytes.txt')?.type, 'file');
          assert.equal(byName.get('three bytes.txt')?.size, 3);
          assert.equal(byName.get('empty')?.size, 0);
          assert.equal(byName.get('sub dir')?.type, 'directory');
        });

        it('downloads a file to a stream, checked by size and SHA-256', async () => {
          const content = randomContent(3 * 1024 * 1024 + 17);
          await writeFile(join(diskDir, 'download.bin'), content);
          const chunks: Buffer[] = [];
          const progress: number[] = [];
          const result = await client.download(`${remoteDir}/download.bin`, collect(chunks), {
            onProgress: (snapshot) => progress.push(snapshot.bytes),
          });
          assert.deepEqual(bufferDigest(Buffer.concat(chunks)), bufferDigest(content));
          assert.equal(result.transferredBytes, content.length);
          assert.equal(progress.at(-1), content.length, 'the last progress snapshot reports every byte');
        });

        it('downloads a file to a local path over several receive buffers, checked by size and SHA-256', async () => {
          // More than the receiver's two 1 MiB buffers, and not a multiple of them.
          const content = randomContent(5 * 1024 * 1024 + 17);
          await writeFile(join(diskDir, 'to-path.bin'), content);
          const target = join(localDir, 'to-path.bin');
          await writeFile(target, randomContent(7 * 1024 * 1024)); // a longer file is replaced, not overwritten in place
          const progress: number[] = [];
          const result = await client.download(`${remoteDir}/to-path.bin`, target, { onProgress: (snapshot) => progress.push(snapshot.bytes) });
          assert.deepEqual(await fileDigest(target), bufferDigest(content));
          assert.equal(result.transferredBytes, content.length);
          assert.equal(progress.at(-1), content.length, 'the last progress snapshot reports every byte');
          assert.ok(progress.length >= 2 && progress.every((bytes, index) => index === 0 || bytes >= progress[index - 1]!), 'progress only grows');
        });

        it('uploads a file from disk, checked on the server by size and SHA-256', async () => {
          const content = randomContent(2 * 1024 * 1024 + 5);
          const source = join(localDir, 'upload.bin');
          await writeFile(source, content);
          const progress: number[] = [];
          const result = await client.upload(source, `${remoteDir}/upload.bin`, { onProgress: (snapshot) => progress.push(snapshot.bytes) });
          assert.deepEqual(await fileDigest(join(diskDir, 'upload.bin')), bufferDigest(content));
          assert.equal(await client.size(`${remoteDir}/upload.bin`), content.length);
          assert.equal(result.transferredBytes, content.length);
          assert.equal(progress.at(-1), content.length, 'the last progress snapshot reports every byte');
        });

        it('round-trips text in ASCII mode, converting line ends on the wire', async () => {
          const text = 'line one\nline two\n\nlast line without newline';
          await client.upload(Readable.from([Buffer.from(text)]), `${remoteDir}/text.txt`, { type: 'ascii' });
          const chunks: Buffer[] = [];
          await client.download(`${remoteDir}/text.txt`, collect(chunks), { type: 'ascii' });
          assert.equal(Buffer.concat(chunks).toString(), text);
          // Back in binary mode afterwards: the next binary transfer is byte-exact.
          const binary = randomContent(4096);
          await writeFile(join(diskDir, 'after-ascii.bin'), binary);
          const after: Buffer[] = [];
          await client.download(`${remoteDir}/after-ascii.bin`, collect(after));
          assert.deepEqual(bufferDigest(Buffer.concat(after)), bufferDigest(binary));
        });

        it('aborts a download mid-transfer with ABOR and stays usable', async () => {
          const content = randomContent(24 * 1024 * 1024);
          await writeFile(join(diskDir, 'abort.bin'), content);
          const controller = new AbortController();
          let received = 0;
          const sink = new Writable({
            write(chunk: Buffer, _encoding, callback) {
              received += chunk.length;
              if (received >= 1024 * 1024) controller.abort();
              // A slow consumer, so the abort lands while the server is still sending.
              setTimeout(callback, 1);
            },
          });
          await assert.rejects(client.download(`${remoteDir}/abort.bin`, sink, { signal: controller.signal }), FtpAbortError);
          assert.ok(received < content.length, `aborted before the end (${received} of ${content.length})`);
          assert.equal(await client.pwd(), '/');
          const chunks: Buffer[] = [];
          await client.download(`${remoteDir}/abort.bin`, collect(chunks));
          assert.deepEqual(bufferDigest(Buffer.concat(chunks)), bufferDigest(content));
        });

        it('resumes an interrupted download from the local file size (REST)', async () => {
          const content = randomContent(8 * 1024 * 1024 + 3);
          await writeFile(join(diskDir, 'resume-down.bin'), content);
          const target = join(localDir, 'resume-down.bin');
          const controller = new AbortController();
          const file = await open(target, 'w');
          let written = 0;
          const sink = new Writable({
            async write(chunk: Buffer, _encoding, callback) {
              await file.write(chunk);
              written += chunk.length;
              if (written >= 2 * 1024 * 1024) controller.abort();
              callback();
            },
          });
          await assert.rejects(client.download(`${remoteDir}/resume-down.bin`, sink, { signal: controller.signal }), FtpAbortError);
          await file.close();
          const partial = (await stat(target)).size;
          assert.ok(partial > 0 && partial < content.length, `a partial file was left (${partial} bytes)`);
          const result = await client.download(`${remoteDir}/resume-down.bin`, target, { resume: true });
          assert.equal(result.startOffset, partial);
          assert.equal(result.transferredBytes, content.length - partial);
          assert.deepEqual(await fileDigest(target), bufferDigest(content));
        });

        it('resumes an interrupted upload from the server file size (APPE)', async () => {
          const content = randomContent(6 * 1024 * 1024 + 11);
          const source = join(localDir, 'resume-up.bin');
          await writeFile(source, content);
          const controller = new AbortController();
          async function* firstPart() {
            for (let offset = 0; offset < content.length; offset += 256 * 1024) {
              if (offset >= 2 * 1024 * 1024) {
                controller.abort();
                await new Promise((resolve) => setTimeout(resolve, 50));
              }
              yield content.subarray(offset, offset + 256 * 1024);
            }
          }
          await assert.rejects(
            client.upload(Readable.from(firstPart()), `${remoteDir}/resume-up.bin`, { signal: controller.signal }),
            FtpAbortError,
          );
          const stored = await client.size(`${remoteDir}/resume-up.bin`);
          assert.ok(stored < content.length, `the server kept a partial file (${stored} bytes)`);
          const result = await client.upload(source, `${remoteDir}/resume-up.bin`, { resume: true });
          assert.equal(result.startOffset, stored);
          assert.deepEqual(await fileDigest(join(diskDir, 'resume-up.bin')), bufferDigest(content));
        });

        it('refuses a second request while one is running, and finishes the first', async () => {
          await writeFile(join(diskDir, 'busy.txt'), 'busy');
          const first = client.size(`${remoteDir}/busy.txt`);
          await assert.rejects(client.pwd(), FtpBusyError);
          assert.equal(await first, 4);
        });

        it('creates nested directories, renames, reports size and time, and removes trees', async () => {
          await client.mkdir(`${remoteDir}/made/deep/er`, { recursive: true });
          await client.mkdir(`${remoteDir}/made/deep/er`, { recursive: true });
          assert.ok((await stat(join(diskDir, 'made', 'deep', 'er'))).isDirectory());
          await client.upload(Readable.from([Buffer.from('12345')]), `${remoteDir}/made/deep/file.txt`);
          await client.rename(`${remoteDir}/made/deep/file.txt`, `${remoteDir}/made/renamed.txt`);
          assert.equal(await readFile(join(diskDir, 'made', 'renamed.txt'), 'utf8'), '12345');
          assert.equal(await client.size(`${remoteDir}/made/renamed.txt`), 5);
          const when = new Date('2021-03-04T05:06:07Z');
          await utimes(join(diskDir, 'made', 'renamed.txt'), when, when);
          assert.equal((await client.lastModified(`${remoteDir}/made/renamed.txt`)).toISOString(), when.toISOString());
          await assert.rejects(client.size(`${remoteDir}/made/missing`), (error: unknown) => error instanceof FtpReplyError && error.replyCode === 550);
          await client.remove(`${remoteDir}/made/renamed.txt`);
          await client.removeDirectory(`${remoteDir}/made`, { recursive: true });
          await assert.rejects(stat(join(diskDir, 'made')), { code: 'ENOENT' });
          assert.equal(await client.pwd(), '/', 'mkdir --parents returns to the working directory');
        });

        it('mirrors a tree down and back up in parallel, then skips identical files', async () => {
          const limit = variant.options.dataMode === 'active' ? (server.activeModeParallelLimit ?? Infinity) : Infinity;
          const parallel = (wanted: number) => Math.min(wanted, limit);
          const tree = join(diskDir, 'tree');
          const files: Record<string, Buffer> = {
            'a.bin': randomContent(700 * 1024),
            'b.txt': Buffer.from('bee\n'),
            'empty.dat': Buffer.alloc(0),
            'sub/c.bin': randomContent(300 * 1024),
            'sub/deeper/d.bin': randomContent(1024 * 1024 + 1),
            'other/e.txt': Buffer.from('e'),
          };
          for (const [path, data] of Object.entries(files)) {
            await mkdir(join(tree, path, '..'), { recursive: true });
            await writeFile(join(tree, path), data);
          }
          await server.adoptLocalFiles(tree);
          const down = join(localDir, 'mirror-down');
          const first = await mirrorDownload(`${remoteDir}/tree`, down, { connect, parallel: parallel(3) });
          assert.deepEqual(first.failures, []);
          assert.equal(first.transferredFiles, Object.keys(files).length);
          for (const [path, data] of Object.entries(files)) assert.deepEqual(await fileDigest(join(down, path)), bufferDigest(data), path);
          const second = await mirrorDownload(`${remoteDir}/tree`, down, { connect, parallel: parallel(3) });
          assert.equal(second.transferredFiles, 0);
          assert.equal(second.skippedFiles, Object.keys(files).length);

          const up = await mirrorUpload(down, `${remoteDir}/tree-copy`, { connect, parallel: parallel(2) });
          assert.deepEqual(up.failures, []);
          assert.equal(up.transferredFiles, Object.keys(files).length);
          for (const [path, data] of Object.entries(files)) {
            assert.deepEqual(await fileDigest(join(diskDir, 'tree-copy', path)), bufferDigest(data), path);
          }
          const again = await mirrorUpload(down, `${remoteDir}/tree-copy`, { connect, parallel: parallel(2) });
          assert.equal(again.transferredFiles, 0);
          assert.equal(again.skippedFiles, Object.keys(files).length);
          assert.deepEqual((await readdir(join(diskDir, 'tree-copy'))).sort(), ['a.bin', 'b.txt', 'empty.dat', 'other', 'sub']);
        });
      });
    }
  });
}

function collect(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
}
