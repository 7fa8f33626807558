/**
 * Recursive walks (removeDirectory with `recursive`, mirrorDownload) and symbolic links the server
 * may present as directories. Regression for the hunt-client bugs bug_rm_symlink.sh and
 * bug_mirror_loop.sh: pyftpdlib's MLSD lists a link to a directory as `type=dir` with its target's
 * `unique` fact, so `rm -r` followed `victim/link -> ../precious` and deleted the files in
 * precious, and mirror copied `d/up -> ..` 41 levels deep.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { FtpClient } from '../../src/client/ftp-client.js';
import { FtpDirectoryAliasError } from '../../src/client/errors.js';
import { mirrorDownload, type MirrorEvent } from '../../src/client/mirror.js';
import { startScriptedServer } from '../fixtures/malicious-server/scripted-ftp-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { isPyftpdlibAvailable, startPyftpdlib } from './support/pyftpdlib.js';
import { startFerryServer } from './support/ferry-server.js';
import { isVsftpdAvailable, startVsftpd } from './support/vsftpd.js';
import type { FtpTestServer } from './support/ftp-test-server.js';

const servers: { name: string; isAvailable: boolean; start: (host: string) => Promise<FtpTestServer> }[] = [
  { name: 'pyftpdlib', isAvailable: isPyftpdlibAvailable(), start: startPyftpdlib },
  { name: 'ferry', isAvailable: true, start: startFerryServer },
  { name: 'vsftpd', isAvailable: isVsftpdAvailable(), start: startVsftpd },
];

async function connectTo(server: FtpTestServer): Promise<FtpClient> {
  const client = new FtpClient({ replyTimeoutMs: 10_000, dataTimeoutMs: 10_000 });
  await client.connect({ host: server.host, port: server.port, user: server.user, password: server.password });
  return client;
}

async function names(directory: string): Promise<string[]> {
  return (await readdir(directory)).sort();
}

for (const { name, isAvailable, start } of servers) {
  describe(`recursive remove against ${name}`, { skip: !isAvailable && `${name} not available` }, () => {
    let server: FtpTestServer;
    before(async () => {
      server = await start('127.0.0.1');
    });
    after(async () => {
      await server?.stop();
    });

    it('removes links to directories as links and never deletes what they point to', async () => {
      const base = join(server.writableLocalDir, 'rm-links');
      await mkdir(join(base, 'precious', 'sub'), { recursive: true });
      await writeFile(join(base, 'precious', 'important1.txt'), 'keep 1');
      await writeFile(join(base, 'precious', 'sub', 'important2.txt'), 'keep 2');
      await mkdir(join(base, 'victim', 'real', 'deeper'), { recursive: true });
      await writeFile(join(base, 'victim', 'real', 'deeper', 'gone.txt'), 'gone');
      await symlink('../precious', join(base, 'victim', 'link'));
      await symlink('../precious/important1.txt', join(base, 'victim', 'file-link'));
      await symlink('..', join(base, 'victim', 'real', 'up'));
      await symlink('precious', join(base, 'top-link'));
      await server.adoptLocalFiles(base);
      const remoteBase = `${server.writableDir.replace(/\/$/, '')}/rm-links`;

      const client = await connectTo(server);
      try {
        await client.removeDirectory(`${remoteBase}/victim`, { recursive: true });
        // The path given is itself a link to a directory: the link goes, its target stays.
        await client.removeDirectory(`${remoteBase}/top-link`, { recursive: true });
      } finally {
        await client.close();
      }
      assert.deepEqual(await names(base), ['precious']);
      assert.deepEqual(await names(join(base, 'precious')), ['important1.txt', 'sub']);
      assert.deepEqual(await names(join(base, 'precious', 'sub')), ['important2.txt']);
    });

    it('still removes an ordinary tree (DELE refused for directories, then RMD)', async () => {
      const base = join(server.writableLocalDir, 'rm-plain');
      await mkdir(join(base, 'a', 'b', 'empty'), { recursive: true });
      await writeFile(join(base, 'a', 'one.txt'), '1');
      await writeFile(join(base, 'a', 'b', 'two.txt'), '22');
      await server.adoptLocalFiles(base);
      const client = await connectTo(server);
      try {
        await client.removeDirectory(`${server.writableDir.replace(/\/$/, '')}/rm-plain`, { recursive: true });
      } finally {
        await client.close();
      }
      await assert.rejects(stat(base), { code: 'ENOENT' });
    });
  });
}

describe('recursive remove and unique facts (scripted server: DELE always refused)', () => {
  it('refuses to descend into a directory whose unique was already entered, and lists it never', async () => {
    const listings: Record<string, string> = {
      tree: 'type=dir;unique=B; d\r\ntype=file;size=1;unique=F; f.txt\r\n',
      'tree/d': 'type=dir;unique=A; up\r\n',
    };
    const server = await startScriptedServer({
      commands: {
        FEAT: (s) => s.write('211-Features:\r\n MLST type*;size*;unique*;\r\n211 End\r\n'),
        MLST: (s, argument) => s.write(`250-Listing ${argument}\r\n type=dir;unique=${argument === 'tree' ? 'A' : 'X'}; /${argument}\r\n250 End\r\n`),
        DELE: (s) => s.write('550 Is a directory\r\n'),
        RMD: (s) => s.write('250 removed\r\n'),
        MLSD: async (s, argument) => {
          const listing = listings[argument];
          if (listing === undefined) return s.write('550 no such directory\r\n');
          s.write('150 here it comes\r\n');
          const data = await s.dataSocket();
          data.end(listing);
          s.write('226 done\r\n');
        },
      },
    });
    const client = new FtpClient({ replyTimeoutMs: 5000, dataTimeoutMs: 5000 });
    try {
      await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
      await assert.rejects(client.removeDirectory('tree', { recursive: true }), (error: unknown) => {
        assert.ok(error instanceof FtpDirectoryAliasError, String(error));
        assert.equal(error.path, 'tree/d/up');
        assert.equal(error.sameAs, 'tree');
        return true;
      });
      assert.ok(server.received.includes('DELE tree/d/up'), 'the alias itself was tried with DELE first');
      assert.ok(!server.received.some((line) => line.startsWith('MLSD tree/d/up')), 'the alias was never listed');
      assert.ok(!server.received.includes('RMD tree'), 'nothing above the alias was removed after the refusal');
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('mirror download of a tree with links the server lists as directories (pyftpdlib)', { skip: !isPyftpdlibAvailable() && 'pyftpdlib not installed' }, () => {
  let server: FtpTestServer;
  before(async () => {
    server = await startPyftpdlib('127.0.0.1');
  });
  after(async () => {
    await server?.stop();
  });

  const connect = () => connectTo(server);

  it('does not enter a link back to an ancestor, and reports it as skipped', async (t) => {
    await mkdir(join(server.root, 'loop', 'd'), { recursive: true });
    await writeFile(join(server.root, 'loop', 'd', 'f.txt'), 'hi');
    await writeFile(join(server.root, 'loop', 'top.txt'), 'top');
    await symlink('..', join(server.root, 'loop', 'd', 'up'));
    const local = join(await makeTempDir(t), 'loop');
    const events: MirrorEvent[] = [];
    const summary = await mirrorDownload('loop', local, { connect, onEvent: (event) => events.push(event) });

    assert.deepEqual(summary.failures, []);
    assert.equal(summary.transferredFiles, 2);
    assert.deepEqual(await names(local), ['d', 'top.txt']);
    assert.deepEqual(await names(join(local, 'd')), ['f.txt']);
    const skipped = events.filter((event) => event.kind === 'file-skipped' && event.reason === 'directory already visited');
    assert.deepEqual(skipped, [{ kind: 'file-skipped', path: 'd/up', reason: 'directory already visited', sameAs: '.' }]);
  });

  it('copies a directory reached twice (a directory and a link to it) only once', async (t) => {
    await mkdir(join(server.root, 'twice', 'real'), { recursive: true });
    await writeFile(join(server.root, 'twice', 'real', 'data.txt'), 'data');
    await symlink('real', join(server.root, 'twice', 'alias'));
    const local = join(await makeTempDir(t), 'twice');
    const events: MirrorEvent[] = [];
    const summary = await mirrorDownload('twice', local, { connect, onEvent: (event) => events.push(event) });

    assert.deepEqual(summary.failures, []);
    assert.equal(summary.transferredFiles, 1);
    const skipped = events.filter((event) => event.kind === 'file-skipped' && event.reason === 'directory already visited');
    assert.equal(skipped.length, 1);
    const [entered] = (await names(local)).filter((entry) => entry === 'real' || entry === 'alias');
    assert.ok(entered && (await lstat(join(local, entered))).isDirectory());
    assert.deepEqual(await names(join(local, entered)), ['data.txt']);
    assert.deepEqual(skipped[0], { kind: 'file-skipped', path: entered === 'real' ? 'alias' : 'real', reason: 'directory already visited', sameAs: entered });
  });
});
