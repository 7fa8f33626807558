/**
 * Interop with the basic-ftp npm client against a real Ferry server on loopback, over IPv4 and
 * IPv6. basic-ftp only speaks passive mode: its default strategy (EPSV, falling back to PASV) and
 * PASV forced with enterPassiveModeIPv4. Covers list (MLSD, and LIST after narrowing the list
 * commands), uploadFrom/downloadTo, resume with downloadTo(..., startAt) and appendFrom,
 * uploadFromDir/downloadToDir, rename, remove, ensureDir/removeDir, size/lastMod, UTF-8 names and
 * a name with spaces and a leading dash. Every transfer is checked by size and SHA-256.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client, enterPassiveModeIPv4, FileType } from 'basic-ftp';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { describeFile, readTree, writeTree } from '../helpers/file-tree.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

const variants = [
  { family: 'IPv4', host: '127.0.0.1', strategy: 'default', dataCommand: 'EPSV' },
  { family: 'IPv4', host: '127.0.0.1', strategy: 'PASV', dataCommand: 'PASV' },
  { family: 'IPv6', host: '::1', strategy: 'default', dataCommand: 'EPSV' },
] as const;

/** A logged-in client that records every command it sends; closed after the test. */
async function connectClient(t: TestContext, host: string, port: number, strategy: 'default' | 'PASV'): Promise<{ client: Client; sent: string[] }> {
  const client = new Client(15_000);
  t.after(() => client.close());
  const sent: string[] = [];
  client.ftp.verbose = true;
  client.ftp.log = (message: string) => {
    if (message.startsWith('> ')) sent.push(message.slice(2));
  };
  const greeting = await client.access({ host, port, user: 'alice', password: 'secret', secure: false });
  // access() resolves with the greeting once USER/PASS and the default settings succeeded.
  assert.equal(greeting.code, 220);
  assert.ok(sent.some((line) => line.startsWith('PASS ')), sent.join(' | '));
  if (strategy === 'PASV') client.prepareTransfer = enterPassiveModeIPv4;
  return { client, sent };
}

for (const { family, host, strategy, dataCommand } of variants) {
  test(`basic-ftp over ${family} in passive mode (${dataCommand}) lists, transfers, resumes, manages directories and mirrors directories intact`, async (t) => {
    const { port, root } = await startTestServer(t, { host });
    const local = await makeTempDir(t, 'ferry-basic-ftp-');
    const { client, sent } = await connectClient(t, host, port, strategy);
    const payload = randomPayload(900_001);
    const whole = { size: payload.length, sha256: sha256(payload) };
    await writeFile(join(local, 'up.bin'), payload);

    // ensureDir creates and enters nested directories; pwd agrees.
    await client.ensureDir('work/deep/er');
    assert.equal(await client.pwd(), '/work/deep/er');
    await client.cd('/work');

    // uploadFrom / downloadTo.
    assert.equal((await client.uploadFrom(join(local, 'up.bin'), 'up.bin')).code, 226);
    assert.deepEqual(await describeFile(join(root, 'work', 'up.bin')), whole);
    assert.equal((await client.downloadTo(join(local, 'down.bin'), 'up.bin')).code, 226);
    assert.deepEqual(await describeFile(join(local, 'down.bin')), whole);
    assert.equal(await client.size('up.bin'), payload.length);
    assert.ok(Math.abs((await client.lastMod('up.bin')).getTime() - Date.now()) < 120_000);

    // Resume: downloadTo(..., startAt) completes a partial local file (REST); appendFrom (APPE)
    // completes a partial remote one.
    await writeFile(join(local, 'partial.bin'), payload.subarray(0, 345_678));
    assert.equal((await client.downloadTo(join(local, 'partial.bin'), 'up.bin', 345_678)).code, 226);
    assert.ok(sent.includes('REST 345678'), sent.join(' | '));
    assert.deepEqual(await describeFile(join(local, 'partial.bin')), whole);
    await writeFile(join(root, 'work', 'half.bin'), payload.subarray(0, 456_789));
    await writeFile(join(local, 'rest.bin'), payload.subarray(456_789));
    assert.equal((await client.appendFrom(join(local, 'rest.bin'), 'half.bin')).code, 226);
    assert.ok(sent.includes('APPE half.bin'), sent.join(' | '));
    assert.deepEqual(await describeFile(join(root, 'work', 'half.bin')), whole);

    // list: MLSD (the server advertises MLST), then plain LIST after narrowing the commands.
    const mlsd = await client.list();
    assert.ok(sent.includes('MLSD'), sent.join(' | '));
    const byName = new Map(mlsd.map((entry) => [entry.name, entry]));
    assert.deepEqual([...byName.keys()].sort(), ['deep', 'half.bin', 'up.bin']);
    assert.equal(byName.get('up.bin')?.size, payload.length);
    assert.equal(byName.get('up.bin')?.type, FileType.File);
    assert.equal(byName.get('deep')?.type, FileType.Directory);
    client.availableListCommands = ['LIST'];
    const list = await client.list('/work');
    assert.deepEqual(list.map((entry) => entry.name).sort(), ['deep', 'half.bin', 'up.bin']);
    assert.equal(list.find((entry) => entry.name === 'half.bin')?.size, payload.length);
    assert.equal(list.find((entry) => entry.name === 'deep')?.isDirectory, true);

    // rename, remove, removeDir.
    await client.rename('half.bin', 'renamed.bin');
    await client.remove('up.bin');
    await assert.rejects(client.remove('up.bin'), (error: { code?: number }) => error.code === 550);
    await client.removeDir('deep');
    assert.deepEqual(await readdir(join(root, 'work')), ['renamed.bin']);
    assert.deepEqual(await describeFile(join(root, 'work', 'renamed.bin')), whole);

    // uploadFromDir / downloadToDir of a small tree, empty file included.
    const manifest = await writeTree(join(local, 'tree'), { 'one.bin': 12_345, 'a/two.bin': 1, 'a/b/three.bin': 200_000, 'a/b/c/empty.bin': 0 });
    await client.uploadFromDir(join(local, 'tree'), '/mirror');
    assert.deepEqual(await readTree(join(root, 'mirror')), manifest);
    await client.downloadToDir(join(local, 'back'), '/mirror');
    assert.deepEqual(await readTree(join(local, 'back')), manifest);

    // Every data connection used the strategy under test.
    const used = new Set(sent.map((line) => line.split(' ')[0]!).filter((verb) => ['PASV', 'EPSV', 'PORT', 'EPRT'].includes(verb)));
    assert.deepEqual([...used], [dataCommand]);
  });
}

test('basic-ftp round-trips UTF-8 names and a name with spaces and a leading dash', async (t) => {
  const { port, root } = await startTestServer(t);
  const local = await makeTempDir(t, 'ferry-basic-ftp-');
  const { client } = await connectClient(t, '127.0.0.1', port, 'default');
  const names = ['naïve 文件.txt', '-dash  spaced.bin', ' leading space.bin'];
  const payloads = names.map((_, index) => randomPayload(5_000 + index));
  const directory = 'répertoire 目录';
  await client.ensureDir(`/${directory}`);
  for (const [index, name] of names.entries()) {
    await writeFile(join(local, `source-${index}`), payloads[index]!);
    await client.uploadFrom(join(local, `source-${index}`), name);
  }
  assert.deepEqual((await client.list()).map((entry) => entry.name).sort(), [...names].sort());
  assert.deepEqual((await readdir(join(root, directory))).sort(), [...names].sort());
  await client.rename(names[0]!, 'Ελληνικά ✓.txt');
  for (const [index, name] of names.entries()) {
    const remote = index === 0 ? 'Ελληνικά ✓.txt' : name;
    const expected = { size: payloads[index]!.length, sha256: sha256(payloads[index]!) };
    assert.deepEqual(await describeFile(join(root, directory, remote)), expected);
    await client.downloadTo(join(local, `copy-${index}`), remote);
    assert.deepEqual(await describeFile(join(local, `copy-${index}`)), expected);
    assert.equal(await client.size(remote), payloads[index]!.length);
  }
});
