import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import type { Authenticator } from '../../src/auth/authenticator.js';
import { allPermissions } from '../../src/auth/permissions.js';
import type { VirtualPath } from '../../src/protocol/virtual-path.js';
import { createCommandRegistry } from '../../src/server/commands/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

test('PWD, CWD, CDUP and their RFC 775 aliases move around the tree', async (t) => {
  const { port, root } = await startTestServer(t);
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('PWD', 257)).lines[0], '"/" is the current directory');
  await connection.expect('CWD a/b', 250);
  assert.match((await connection.expect('XPWD', 257)).lines[0]!, /^"\/a\/b"/);
  await connection.expect('CDUP', 250);
  assert.match((await connection.expect('PWD', 257)).lines[0]!, /^"\/a"/);
  await connection.expect('XCUP', 250);
  await connection.expect('XCWD a', 250);
  await connection.expect('CWD /', 250);
  await connection.expect('CWD missing', 550);
  await writeFile(join(root, 'file.txt'), 'x');
  await connection.expect('CWD file.txt', 550);
});

test('MKD replies 257 with the quoted path, RMD removes empty directories only', async (t) => {
  const { port, root } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('MKD new dir', 257)).lines[0], '"/new dir" created');
  assert.equal((await connection.expect('XMKD say "hi"', 257)).lines[0], '"/say ""hi""" created');
  await connection.expect('MKD new dir', 550);
  await writeFile(join(root, 'new dir', 'f'), 'x');
  await connection.expect('RMD new dir', 550);
  await connection.expect('XRMD say "hi"', 250);
  await connection.expect('RMD /', 550);
  assert.deepEqual((await readdir(root)).sort(), ['new dir']);
});

test('DELE removes a file and refuses a directory or a missing file', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'gone.txt'), 'x');
  await mkdir(join(root, 'dir'));
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('DELE gone.txt', 250);
  await connection.expect('DELE gone.txt', 550);
  await connection.expect('DELE dir', 550);
});

test('RNFR/RNTO renames, and RNTO without RNFR or after another command gets 503', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'old.txt'), 'content');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('RNTO new.txt', 503);
  await connection.expect('RNFR missing.txt', 550);
  await connection.expect('RNFR old.txt', 350);
  await connection.expect('NOOP', 200);
  await connection.expect('RNTO new.txt', 503);
  await connection.expect('RNFR old.txt', 350);
  await connection.expect('RNTO new.txt', 250);
  assert.deepEqual(await readdir(root), ['new.txt']);
});

test('SIZE, MDTM and MFMT report and set file facts', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'f.bin'), Buffer.alloc(1234));
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('SIZE f.bin', 213)).lines[0], '1234');
  await connection.expect('SIZE missing', 550);
  assert.match((await connection.expect('MDTM f.bin', 213)).lines[0]!, /^\d{14}$/);
  assert.equal((await connection.expect('MFMT 20200102030405 f.bin', 213)).lines[0], 'Modify=20200102030405; f.bin');
  assert.equal((await connection.expect('MDTM f.bin', 213)).lines[0], '20200102030405');
  assert.equal((await stat(join(root, 'f.bin'))).mtime.toISOString(), '2020-01-02T03:04:05.000Z');
  await connection.expect('MFMT 20201302030405 f.bin', 501);
  await connection.expect('MFMT f.bin', 501);
});

/** A MemoryStorage that stores modification times as ext4 does: nothing before 1901-12-13T20:45:52Z. */
class ClampingStorage extends MemoryStorage {
  static readonly earliest = new Date('1901-12-13T20:45:52Z');
  override async setModificationTime(path: VirtualPath, modifiedAt: Date): Promise<void> {
    await super.setModificationTime(path, modifiedAt < ClampingStorage.earliest ? ClampingStorage.earliest : modifiedAt);
  }
}

test('MFMT replies with the time the storage actually set, and refuses year 0000 and other impossible timestamps with 501', async (t) => {
  // Regression (hunt t3_fsops): "MFMT 00000101000000 f" answered "Modify=00000101000000" while
  // ext4 stored 1901-12-13 20:45:52, which MDTM then showed.
  const storage = new ClampingStorage();
  const authenticator: Authenticator = {
    authenticate: async (username, password) =>
      username === 'alice' && password === 'secret' ? { username, permissions: new Set(allPermissions), storage, isAnonymous: false } : null,
  };
  const { port } = await startTestServer(t, { authenticator });
  const upload = await storage.openWrite('/f.txt' as VirtualPath, { mode: 'truncate' });
  await finished(upload.stream.end('x'));
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('MFMT 00010101000000 f.txt', 213)).lines[0], 'Modify=19011213204552; f.txt');
  assert.equal((await connection.expect('MDTM f.txt', 213)).lines[0], '19011213204552');
  assert.equal((await connection.expect('MFMT 20200102030405 f.txt', 213)).lines[0], 'Modify=20200102030405; f.txt');
  for (const timestamp of ['00000101000000', '20240001000000', '20241301000000', '20240100000000', '20240132000000', '20240101240000', '20240101006000', '20240101000061']) {
    await connection.expect(`MFMT ${timestamp} f.txt`, 501);
  }
  assert.equal((await connection.expect('MDTM f.txt', 213)).lines[0], '20200102030405');
});

test('SITE CHMOD changes the mode; other SITE commands are refused', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'script.sh'), '#!/bin/sh');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('SITE CHMOD 750 script.sh', 200);
  assert.equal((await stat(join(root, 'script.sh'))).mode & 0o777, 0o750);
  await connection.expect('SITE CHMOD 9 script.sh', 501);
  await connection.expect('SITE EXEC rm -rf /', 500);
  await connection.expect('SITE HELP', 214);
});

test('SITE CHMOD refuses setuid, setgid and sticky bits with 501 and the root directory with 550', async (t) => {
  // Regression (hunt t29_misc): "SITE CHMOD 7777 f" made -rwsrwsrwt, and "SITE CHMOD 700 /" changed the root.
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'f'), 'x');
  await mkdir(join(root, 'sub'));
  const rootMode = (await stat(root)).mode;
  const fileMode = (await stat(join(root, 'f'))).mode;
  const connection = await RawFtpConnection.login(t, port);
  for (const mode of ['7777', '4755', '2755', '1777', '1000']) {
    assert.equal((await connection.expect(`SITE CHMOD ${mode} f`, 501)).lines[0], 'Only permission bits 0-777 are allowed.');
  }
  assert.equal((await stat(join(root, 'f'))).mode, fileMode);
  for (const path of ['/', '.', '..', '//', '/sub/..']) await connection.expect(`SITE CHMOD 700 ${path}`, 550);
  await connection.expect('CWD sub', 250);
  await connection.expect('SITE CHMOD 700 ..', 550);
  assert.equal((await stat(root)).mode, rootMode);
  await connection.expect('SITE CHMOD 0777 /f', 200);
  assert.equal((await stat(join(root, 'f'))).mode & 0o7777, 0o777);
});

test('TYPE, STRU and MODE accept what is supported and refuse the rest with 504 or 501', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  const cases: [string, number][] = [
    ['TYPE A', 200], ['TYPE A N', 200], ['TYPE I', 200], ['TYPE L 8', 200], ['type i', 200],
    ['TYPE E', 504], ['TYPE A T', 504], ['TYPE L 7', 504], ['TYPE X', 501], ['TYPE', 501],
    ['STRU F', 200], ['STRU R', 504], ['STRU Q', 501],
    ['MODE S', 200], ['MODE B', 504], ['MODE Q', 501],
  ];
  for (const [line, replyCode] of cases) await connection.expect(line, replyCode);
});

test('FEAT lists the extensions generated from the command registry', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  const reply = await connection.expect('FEAT', 211);
  const features = reply.lines.slice(1, -1).map((line) => line.trim());
  for (const feature of ['EPRT', 'EPSV', 'MDTM', 'MFMT', 'REST STREAM', 'SIZE', 'TVFS', 'UTF8', 'HOST']) {
    assert.ok(features.includes(feature), `FEAT lacks ${feature}`);
  }
  assert.ok(features.some((line) => line.startsWith('MLST type*;size*;modify*;')));
});

test('HELP lists every registered verb and gives one command’s syntax', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  const reply = await connection.expect('HELP', 214);
  const words = reply.lines.join(' ').split(/\s+/);
  for (const verb of createCommandRegistry().verbs) assert.ok(words.includes(verb), `HELP lacks ${verb}`);
  assert.match((await connection.expect('HELP RETR', 214)).lines[0]!, /RETR <sp> pathname/);
  await connection.expect('HELP FROB', 501);
});

test('OPTS UTF8 ON and OPTS MLST are accepted; unknown options are not', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('OPTS UTF8 ON', 200);
  assert.equal((await connection.expect('OPTS MLST type;size;', 200)).lines[0], 'MLST OPTS type;size;');
  const feat = await connection.expect('FEAT', 211);
  assert.ok(feat.lines.some((line) => line.trim() === 'MLST type*;size*;modify;perm;unique;unix.mode;'));
  await connection.expect('OPTS FROB', 501);
});

test('HOST is accepted before login and refused after', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('HOST ftp.example.com', 220);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
  await connection.expect('HOST ftp.example.com', 503);
});

test('SYST, NOOP, ALLO, ACCT and STAT answer as RFC 959 says', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('SYST', 215)).lines[0], 'UNIX Type: L8');
  await connection.expect('NOOP', 200);
  await connection.expect('ALLO 1000', 202);
  await connection.expect('ACCT x', 202);
  const status = await connection.expect('STAT', 211);
  assert.ok(status.lines.includes('Logged in as alice'));
});

test('commands that take no argument refuse one, and required arguments are enforced', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('PWD extra', 501);
  await connection.expect('CDUP x', 501);
  for (const verb of ['RETR', 'STOR', 'DELE', 'MKD', 'RMD', 'RNFR', 'SIZE', 'MDTM', 'CWD', 'REST', 'PORT', 'EPRT', 'TYPE']) {
    await connection.expect(verb, 501);
  }
});

test('REST refuses non-numeric offsets and an offset beyond the file', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'small.txt'), 'abc');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('REST abc', 501);
  await connection.expect('REST -5', 501);
  await connection.openPassive(t);
  await connection.expect('REST 100', 350);
  await connection.expect('RETR small.txt', 550);
});

test('keeps argument bytes exact: spaces and leading dashes are part of names', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, ' spaced  name '), 'x');
  await writeFile(join(root, '-dash'), 'yy');
  const connection = await RawFtpConnection.login(t, port);
  assert.equal((await connection.expect('SIZE  spaced  name ', 213)).lines[0], '1');
  assert.equal((await connection.expect('SIZE -dash', 213)).lines[0], '2');
});

test('UTF-8 names work in commands and replies', async (t) => {
  const { port, root } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('OPTS UTF8 ON', 200);
  assert.equal((await connection.expect('MKD naïve 文件', 257)).lines[0], '"/naïve 文件" created');
  assert.deepEqual(await readdir(root), ['naïve 文件']);
});

test('a file command whose path ends in "/" or "/." gets 550 and leaves the file as it was, as the file system refuses "name/"', async (t) => {
  const { port, root } = await startTestServer(t);
  await writeFile(join(root, 'f.txt'), 'kept');
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('TYPE I', 200);
  for (const command of ['SIZE f.txt/', 'MDTM f.txt/', 'DELE f.txt/', 'DELE f.txt/.']) {
    assert.match((await connection.expect(command, 550)).lines[0]!, /Not a plain file/, command);
  }
  for (const command of ['RETR f.txt/', 'STOR f.txt/', 'APPE f.txt/.', 'STOR new/']) {
    await connection.openPassive(t);
    await connection.expect(command, 550);
  }
  assert.equal(await readFile(join(root, 'f.txt'), 'utf8'), 'kept');
  assert.deepEqual((await readdir(root)).sort(), ['f.txt']);
  await connection.expect('SIZE f.txt', 213); // without the slash, as before
});
