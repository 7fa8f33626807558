import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDirectoryStats, type EntryStats } from '../../src/storage/directory-lstat.js';
import { isNativeDirectoryReaderBuilt, nativeDirectoryReader, setNativeDirectoryReaderEnabledForTest } from '../../src/storage/native-directory.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** readDirectoryStats with or without the native reader, as name → stats (copied). */
async function listWith(useNative: boolean, directory: string, include: (name: string) => boolean = () => true): Promise<Map<string, EntryStats>> {
  setNativeDirectoryReaderEnabledForTest(useNative);
  try {
    const seen = new Map<string, EntryStats>();
    await readDirectoryStats(directory, include, (name, stats) => {
      assert.ok(!seen.has(name), `${name} visited once`);
      seen.set(name, { mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino });
    });
    return seen;
  } finally {
    setNativeDirectoryReaderEnabledForTest(true);
  }
}

function lstatOf(path: string): EntryStats {
  const stats = lstatSync(path);
  return { mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino };
}

test('the native directory reader is built and loads on Linux (npm install builds it; npm run build:native rebuilds it)', { skip: process.platform !== 'linux' || process.env['FERRY_NATIVE'] === '0' }, () => {
  assert.ok(isNativeDirectoryReaderBuilt(), 'build/Release/ferry_native.node is missing or does not load: run `npm run build:native`');
  assert.ok(nativeDirectoryReader() !== null);
});

const native = { skip: !isNativeDirectoryReaderBuilt() && 'native reader not built' };

test('a big directory read natively gives every entry once, exactly as lstat and the JavaScript path see it', native, async (t) => {
  const directory = await makeTempDir(t);
  for (let index = 0; index < 3000; index++) {
    const name = `entry-${index}`;
    if (index % 500 === 7) mkdirSync(join(directory, name));
    else if (index % 500 === 9) symlinkSync('entry-0', join(directory, name));
    else writeFileSync(join(directory, name), 'x'.repeat(index % 97));
  }
  for (const name of ['.hidden', 'ünïcødé-名前.txt', 'with space', '#upload-tmp']) writeFileSync(join(directory, name), name);
  const include = (name: string) => !name.startsWith('#');
  const fromNative = await listWith(true, directory, include);
  const fromJavaScript = await listWith(false, directory, include);
  assert.equal(fromNative.size, 3003, 'all but the excluded name');
  assert.ok(!fromNative.has('#upload-tmp'));
  assert.deepEqual(fromNative, fromJavaScript);
  for (const [name, stats] of fromNative) assert.deepEqual(stats, lstatOf(join(directory, name)), name);
});

test('natively read names are sorted and decoded exactly as fs.readdir gives them; a name that is not UTF-8 is still listed', native, async (t) => {
  const directory = await makeTempDir(t);
  for (const name of ['b', 'a', 'Z', 'ä', '10', '9', '日本']) writeFileSync(join(directory, name), name);
  // A name that is not valid UTF-8 (0xff): fs.readdir shows it with U+FFFD.
  writeFileSync(Buffer.concat([Buffer.from(`${directory}/bad-`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
  const answer = await nativeDirectoryReader()!.readDirectory(directory);
  assert.deepEqual(answer.names.split('\0'), readdirSync(directory));
  assert.equal(answer.count, 8);
  assert.equal(answer.stats.length, 8 * nativeDirectoryReader()!.fieldsPerEntry);
  // The native reader stats the name by its bytes, so the entry is listed (as vsftpd lists it);
  // the JavaScript path lstats the decoded name, which does not exist, and leaves it out.
  const fromNative = await listWith(true, directory);
  const fromJavaScript = await listWith(false, directory);
  assert.equal(fromNative.get('bad-\ufffd.txt')?.size, 1);
  assert.ok(!fromJavaScript.has('bad-\ufffd.txt'));
  fromNative.delete('bad-\ufffd.txt');
  assert.deepEqual(fromNative, fromJavaScript);
});

test('an empty directory has no entries, natively or not', async (t) => {
  const directory = await makeTempDir(t);
  assert.equal((await listWith(true, directory)).size, 0);
  assert.equal((await listWith(false, directory)).size, 0);
  if (isNativeDirectoryReaderBuilt()) assert.deepEqual(await nativeDirectoryReader()!.readDirectory(directory), { count: 0, names: '', stats: new Float64Array(0) });
});

test('a missing directory or a file fails with fs.readdir’s error, natively or not', async (t) => {
  const directory = await makeTempDir(t);
  writeFileSync(join(directory, 'file'), 'x');
  for (const useNative of [true, false]) {
    await assert.rejects(listWith(useNative, join(directory, 'missing')), { code: 'ENOENT' });
    await assert.rejects(listWith(useNative, join(directory, 'file')), { code: 'ENOTDIR' });
  }
  if (isNativeDirectoryReaderBuilt()) {
    await assert.rejects(nativeDirectoryReader()!.readDirectory(join(directory, 'missing')), { code: 'ENOENT' });
    assert.throws(() => nativeDirectoryReader()!.readDirectory(42 as unknown as string), TypeError);
  }
});

test('FERRY_NATIVE=0 turns the native reader off', () => {
  // The module beside this test's own import: src/ under tsx, dist/src/ when compiled.
  const moduleUrl = new URL('../../src/storage/native-directory.js', import.meta.url).href;
  const script = `import(${JSON.stringify(moduleUrl)}).then((m) => process.stdout.write(String(m.nativeDirectoryReader() === null && !m.isNativeDirectoryReaderBuilt())))`;
  const run = (value: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, FERRY_NATIVE: value }, encoding: 'utf8' }).stdout;
  assert.equal(run('0'), 'true');
  if (isNativeDirectoryReaderBuilt()) assert.equal(run('1'), 'false');
});
