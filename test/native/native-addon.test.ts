import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { idleWritableSocketDescriptor, untouchedSocketDescriptor } from '../../src/file-io/socket-read-into.js';
import { openDirectoryInOrder, readDirectoryStats, type EntryStats } from '../../src/storage/directory-lstat.js';
import { isNativeDirectoryReaderBuilt, namesOfListing, nativeDirectoryReader, nativeFileSender, nativePassiveSockets, nativeSocketReceiver, setNativeDirectoryReaderEnabledForTest } from '../../src/native/native-addon.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { readAll } from '../helpers/raw-ftp.js';
import { pausedConnection } from '../helpers/paused-connection.js';
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

test('natively read names are decoded exactly as fs.readdir gives them; a name that is not UTF-8 is still listed', native, async (t) => {
  const directory = await makeTempDir(t);
  for (const name of ['b', 'a', 'Z', 'ä', '10', '9', '日本']) writeFileSync(join(directory, name), name);
  // A name that is not valid UTF-8 (0xff): fs.readdir shows it with U+FFFD.
  writeFileSync(Buffer.concat([Buffer.from(`${directory}/bad-`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
  const reader = nativeDirectoryReader()!;
  const opened = await reader.openListing(directory);
  t.after(() => reader.closeListing(opened.listing));
  assert.deepEqual(namesOfListing(opened.names), readdirSync(directory).sort());
  assert.equal(opened.count, 8);
  const answer = await reader.statListing(opened.listing, 0, 8);
  assert.equal(answer.stats.length, 8 * reader.fieldsPerEntry);
  assert.deepEqual(answer.names.split('\0'), namesOfListing(opened.names), 'the range\'s names come with its stats, decoded alike');
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
  if (isNativeDirectoryReaderBuilt()) {
    const reader = nativeDirectoryReader()!;
    const opened = await reader.openListing(directory);
    assert.deepEqual([opened.count, opened.names], [0, []]);
    assert.deepEqual(await reader.statListing(opened.listing, 0, 0), { names: '', stats: new Float64Array(0) });
    reader.closeListing(opened.listing);
  }
});

test('a missing directory or a file fails with fs.readdir’s error, natively or not', async (t) => {
  const directory = await makeTempDir(t);
  writeFileSync(join(directory, 'file'), 'x');
  for (const useNative of [true, false]) {
    await assert.rejects(listWith(useNative, join(directory, 'missing')), { code: 'ENOENT' });
    await assert.rejects(listWith(useNative, join(directory, 'file')), { code: 'ENOTDIR' });
  }
  if (isNativeDirectoryReaderBuilt()) {
    await assert.rejects(nativeDirectoryReader()!.openListing(join(directory, 'missing')), { code: 'ENOENT' });
    assert.throws(() => nativeDirectoryReader()!.openListing(42 as unknown as string), TypeError);
  }
});

test('FERRY_NATIVE=0 turns the native reader off', () => {
  // The module beside this test's own import: src/ under tsx, dist/src/ when compiled.
  const moduleUrl = new URL('../../src/native/native-addon.js', import.meta.url).href;
  const script = `import(${JSON.stringify(moduleUrl)}).then((m) => process.stdout.write(String(m.nativeDirectoryReader() === null && !m.isNativeDirectoryReaderBuilt())))`;
  const run = (value: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, FERRY_NATIVE: value }, encoding: 'utf8' }).stdout;
  assert.equal(run('0'), 'true');
  if (isNativeDirectoryReaderBuilt()) assert.equal(run('1'), 'false');
});

test('a big directory\'s names come back whole and in order across the strings openListing hands them over in, ASCII and not', native, async (t) => {
  const directory = await makeTempDir(t);
  const names: string[] = [];
  // ~300 KB of names: several strings of whole names. Lengths vary so that cuts land at many
  // offsets; a few names carry multi-byte characters, so some strings are decoded as UTF-8.
  for (let index = 0; index < 6000; index++) names.push(`${String(index).padStart(5, '0')}-${'n'.repeat(index % 61)}${index % 997 === 3 ? '-ünï-名前' : ''}`);
  for (const name of names) writeFileSync(join(directory, name), '');
  const reader = nativeDirectoryReader()!;
  const opened = await reader.openListing(directory);
  t.after(() => reader.closeListing(opened.listing));
  assert.ok(opened.names.length >= 4, `names in ${opened.names.length} strings`);
  for (const joined of opened.names) assert.ok(Buffer.byteLength(joined) <= 60 * 1024, 'each string stays below V8\'s large-object size');
  assert.equal(opened.count, names.length);
  assert.deepEqual(namesOfListing(opened.names), names.sort());
});

test('openListing sorts names as JavaScript does and statListing answers any range in that order, as lstat sees it', native, async (t) => {
  const directory = await makeTempDir(t);
  // U+1F600 (a surrogate pair in UTF-16) sorts before U+E000 in JavaScript, after it by code point.
  const names = ['b', 'a', 'Z', '\u{1F600}', '\uE000', '\uFF5A', 'é', '10', '9'];
  for (let index = 0; index < 1500; index++) names.push(`n-${index}`);
  for (const name of names) writeFileSync(join(directory, name), name);
  mkdirSync(join(directory, 'sub'));
  names.push('sub');
  const reader = nativeDirectoryReader()!;
  const opened = await reader.openListing(directory);
  t.after(() => reader.closeListing(opened.listing));
  const sorted = namesOfListing(opened.names);
  assert.equal(opened.count, names.length);
  assert.deepEqual(sorted, [...names].sort());
  const fields = reader.fieldsPerEntry;
  const [head, tail, empty] = await Promise.all([reader.statListing(opened.listing, 0, 700), reader.statListing(opened.listing, 700, names.length), reader.statListing(opened.listing, 5, 5)]);
  assert.deepEqual(empty, { names: '', stats: new Float64Array(0) });
  assert.deepEqual([...head.names.split('\0'), ...tail.names.split('\0')], sorted, 'each range\'s names, in order');
  const all = new Float64Array([...head.stats, ...tail.stats]);
  for (let index = 0; index < sorted.length; index++) {
    const expected = lstatOf(join(directory, sorted[index]!));
    assert.deepEqual([...all.subarray(index * fields, (index + 1) * fields)], [expected.mode, expected.size, expected.mtimeMs, expected.dev, expected.ino], sorted[index]);
  }
});

test('openListing orders any mix of names as JavaScript sorts them (shared prefixes, ties in the first 8 bytes after them, short names)', native, async (t) => {
  const alphabet = 'abcXYZ019._- ~';
  let seed = 7;
  const random = (limit: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // 32-bit LCG: the same names every run
    return (seed >>> 8) % limit;
  };
  const names = new Set<string>();
  while (names.size < 3000) {
    // Mostly one shared prefix; a tenth with another first letter so the prefix is empty at times.
    let name = random(10) === 0 ? alphabet[random(alphabet.length)]! : 'IMG_2024-';
    const length = random(3) === 0 ? random(4) : 8 + random(14); // short ones, and ties in the key bytes
    for (let index = 0; index < length; index++) name += alphabet[random(random(2) === 0 ? 3 : alphabet.length)]!;
    if (name.trim() === name && name !== '.' && name !== '..') names.add(name);
  }
  for (const withPrefix of [true, false]) {
    const directory = await makeTempDir(t);
    const chosen = withPrefix ? [...names] : [...names].map((name, index) => `${index % 3}${name}`);
    for (const name of chosen) writeFileSync(join(directory, name), '');
    const opened = await nativeDirectoryReader()!.openListing(directory);
    nativeDirectoryReader()!.closeListing(opened.listing);
    assert.deepEqual(namesOfListing(opened.names), chosen.sort());
  }
});

test('a closed listing refuses further stats, but one already running finishes; bad arguments throw', native, async (t) => {
  const directory = await makeTempDir(t);
  for (let index = 0; index < 2000; index++) writeFileSync(join(directory, `f${index}`), '');
  const reader = nativeDirectoryReader()!;
  const opened = await reader.openListing(directory);
  const running = reader.statListing(opened.listing, 0, 2000);
  reader.closeListing(opened.listing);
  reader.closeListing(opened.listing); // idempotent
  const { names, stats } = await running;
  assert.equal(names.split('\0').length, 2000, 'the names outlive the close for the request that ran');
  assert.equal(stats.length, 2000 * reader.fieldsPerEntry);
  assert.ok(stats.every((value, index) => index % reader.fieldsPerEntry !== 0 || value !== -1), 'the running request stat\'ed every entry');
  await assert.rejects(reader.statListing(opened.listing, 0, 1), { code: 'EBADF' });
  assert.throws(() => reader.statListing(opened.listing, 0, 2001), TypeError);
  assert.throws(() => reader.statListing(opened.listing, 2, 1), TypeError);
  assert.throws(() => reader.statListing({} as never, 0, 1), TypeError);
  assert.throws(() => reader.openListing(1 as unknown as string), TypeError);
  await assert.rejects(reader.openListing(join(directory, 'missing')), { code: 'ENOENT' });
  await assert.rejects(reader.openListing(join(directory, 'f1')), { code: 'ENOTDIR' });
});

test('an ordered directory visits accepted entries batch by batch in order; entries removed after opening are skipped', native, async (t) => {
  const directory = await makeTempDir(t);
  const names: string[] = [];
  for (let index = 0; index < 4000; index++) names.push(`entry-${String(index).padStart(4, '0')}`);
  for (const name of names) writeFileSync(join(directory, name), name);
  writeFileSync(join(directory, '.hidden'), '');
  const opened = await openDirectoryInOrder(directory, (name) => !name.startsWith('.'));
  assert.ok(opened !== null);
  t.after(() => opened.close());
  assert.equal(opened.count, 4000);
  // Removed after the names were read: the batch holding it (the fourth, asked for only once the
  // first is visited) finds it gone.
  rmSync(join(directory, 'entry-3500'));
  const seen: string[] = [];
  let batches = 0;
  while (await opened.nextBatch((name, stats) => {
    assert.equal(stats.size, name.length, name);
    seen.push(name);
  })) batches++;
  assert.ok(batches >= 4, `${batches} batches`);
  assert.deepEqual(seen, names.filter((name) => name !== 'entry-3500'));
  assert.equal(await opened.nextBatch(() => assert.fail('no more entries')), false);
  assert.equal(await openDirectoryInOrder(join(directory, 'missing'), () => true), null, 'the caller lists it the usual way and reports the error');
  setNativeDirectoryReaderEnabledForTest(false);
  t.after(() => setNativeDirectoryReaderEnabledForTest(true));
  assert.equal(await openDirectoryInOrder(directory, () => true), null);
});

/** A paused accepted socket (as passive data sockets are), its client, and the descriptor to hand over. */
async function pausedSocketPair(t: TestContext): Promise<{ client: Socket; accepted: Socket; descriptor: number }> {
  const { client, accepted } = await pausedConnection(t);
  const descriptor = untouchedSocketDescriptor(accepted);
  assert.ok(descriptor !== null, 'an accepted, paused socket has a descriptor to hand over');
  return { client, accepted, descriptor };
}

const receiver = { skip: nativeSocketReceiver() === null && 'splice receiver not built (Linux only)' };

test('the splice receiver is built on Linux', { skip: process.platform !== 'linux' || process.env['FERRY_NATIVE'] === '0' }, () => {
  assert.ok(nativeSocketReceiver() !== null);
});

test('receiveToFile moves every byte from the socket into the file from the given position until EOF', receiver, async (t) => {
  const directory = await makeTempDir(t);
  const { client, descriptor } = await pausedSocketPair(t);
  const file = join(directory, 'up');
  writeFileSync(file, 'HEAD-and-old-tail');
  const fd = openSync(file, 'r+');
  t.after(() => closeSync(fd));
  const payload = randomPayload(3 * 1024 * 1024 + 4321);
  const receiving = nativeSocketReceiver()!.receiveToFile(descriptor, fd, 5, 0);
  client.end(payload);
  assert.deepEqual(await receiving.done, { bytes: payload.length, ending: 'end' });
  assert.equal(receiving.bytes(), payload.length);
  const stored = readFileSync(file);
  assert.equal(stored.subarray(0, 5).toString(), 'HEAD-');
  assert.equal(stored.length, 5 + payload.length);
  assert.equal(sha256(stored.subarray(5)), sha256(payload));
});

test('after cancel() receiveToFile writes what already arrived and ends "cancelled"; a silent socket ends "stalled"', receiver, async (t) => {
  const directory = await makeTempDir(t);
  const { client, descriptor } = await pausedSocketPair(t);
  const fd = openSync(join(directory, 'partial'), 'w');
  t.after(() => closeSync(fd));
  const head = randomPayload(200_000);
  const receiving = nativeSocketReceiver()!.receiveToFile(descriptor, fd, 0, 0);
  client.write(head); // and no end
  for (let attempt = 0; receiving.bytes() < head.length; attempt++) {
    assert.ok(attempt < 500, 'the bytes sent arrive');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  receiving.cancel();
  assert.deepEqual(await receiving.done, { bytes: head.length, ending: 'cancelled' });
  assert.equal(sha256(readFileSync(join(directory, 'partial'))), sha256(head));

  const quiet = await pausedSocketPair(t);
  const startedAt = Date.now();
  const stalled = nativeSocketReceiver()!.receiveToFile(quiet.descriptor, fd, 0, 150);
  assert.deepEqual(await stalled.done, { bytes: 0, ending: 'stalled' });
  assert.ok(Date.now() - startedAt >= 140, 'not before the stall timeout');
});

test('receiveToFile rejects with the failing side: a file it cannot write, bad arguments', receiver, async (t) => {
  const directory = await makeTempDir(t);
  const { client, descriptor } = await pausedSocketPair(t);
  writeFileSync(join(directory, 'read-only'), '');
  const fd = openSync(join(directory, 'read-only'), 'r');
  t.after(() => closeSync(fd));
  const receiving = nativeSocketReceiver()!.receiveToFile(descriptor, fd, 0, 0);
  client.end(randomPayload(100_000));
  await assert.rejects(receiving.done, { code: 'EBADF', side: 'file', bytes: 0 });
  assert.throws(() => nativeSocketReceiver()!.receiveToFile(-1, fd, 0, 0), TypeError);
  assert.throws(() => nativeSocketReceiver()!.receiveToFile(descriptor, fd, -5, 0), TypeError);
});

const sender = { skip: nativeFileSender() === null && 'sendfile sender not built (Linux only)' };

/** A file of `payload` opened for reading; closed when the test ends. */
function openedFile(t: TestContext, directory: string, payload: Buffer): number {
  const file = join(directory, 'down');
  writeFileSync(file, payload);
  const fd = openSync(file, 'r');
  t.after(() => closeSync(fd));
  return fd;
}

/** A paused accepted socket and the descriptor a sender may write. */
async function writableSocketPair(t: TestContext): Promise<{ client: Socket; accepted: Socket; descriptor: number }> {
  const { client, accepted } = await pausedConnection(t);
  const descriptor = idleWritableSocketDescriptor(accepted);
  assert.ok(descriptor !== null, 'a plain connected socket with nothing queued has a descriptor to write');
  return { client, accepted, descriptor };
}

test('the sendfile sender is built on Linux', { skip: process.platform !== 'linux' || process.env['FERRY_NATIVE'] === '0' }, () => {
  assert.ok(nativeFileSender() !== null);
});

test('sendFromFile sends exactly the range asked for and leaves the socket open; a file shorter than the range sends what there is', sender, async (t) => {
  const directory = await makeTempDir(t);
  const payload = randomPayload(5 * 1024 * 1024 + 999);
  const fd = openedFile(t, directory, payload);
  const { client, accepted, descriptor } = await writableSocketPair(t);
  const received = readAll(client);
  const sending = nativeFileSender()!.sendFromFile(descriptor, fd, 1000, payload.length - 2000, 0);
  assert.deepEqual(await sending.done, { bytes: payload.length - 2000, ending: 'end' });
  assert.equal(sending.bytes(), payload.length - 2000);
  accepted.end(); // the socket is still ours: the client sees EOF only now
  assert.equal(sha256(await received), sha256(payload.subarray(1000, payload.length - 1000)));

  const short = await writableSocketPair(t);
  const rest = readAll(short.client);
  const shortSending = nativeFileSender()!.sendFromFile(short.descriptor, fd, payload.length - 10, 1000, 0);
  assert.deepEqual(await shortSending.done, { bytes: 10, ending: 'end' });
  short.accepted.end();
  assert.equal(sha256(await rest), sha256(payload.subarray(payload.length - 10)));
});

test('sendFromFile ends "cancelled" soon after cancel() while the client does not read, and "stalled" after the stall timeout', sender, async (t) => {
  const directory = await makeTempDir(t);
  const fd = openedFile(t, directory, randomPayload(64 * 1024 * 1024));
  const { client, descriptor } = await writableSocketPair(t);
  client.pause(); // the socket buffers fill and the sender waits
  const sending = nativeFileSender()!.sendFromFile(descriptor, fd, 0, 64 * 1024 * 1024, 0);
  for (let attempt = 0; sending.bytes() === 0; attempt++) {
    assert.ok(attempt < 500, 'some bytes go out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  sending.cancel();
  const cancelled = await sending.done;
  assert.equal(cancelled.ending, 'cancelled');
  assert.ok(cancelled.bytes > 0 && cancelled.bytes < 64 * 1024 * 1024, `${cancelled.bytes} bytes before the cancel`);

  const quiet = await writableSocketPair(t);
  quiet.client.pause();
  const startedAt = Date.now();
  const stalled = nativeFileSender()!.sendFromFile(quiet.descriptor, fd, 0, 64 * 1024 * 1024, 150);
  const result = await stalled.done;
  assert.equal(result.ending, 'stalled');
  assert.ok(Date.now() - startedAt >= 140, 'not before the stall timeout');
});

test('sendFromFile rejects with the failing side: a reset client, a file it cannot read, bad arguments', sender, async (t) => {
  const directory = await makeTempDir(t);
  const fd = openedFile(t, directory, randomPayload(64 * 1024 * 1024));
  const { client, descriptor } = await writableSocketPair(t);
  client.pause();
  const sending = nativeFileSender()!.sendFromFile(descriptor, fd, 0, 64 * 1024 * 1024, 0);
  for (let attempt = 0; sending.bytes() === 0; attempt++) {
    assert.ok(attempt < 500, 'some bytes go out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  client.resetAndDestroy();
  const error = await sending.done.then(
    () => assert.fail('a reset client fails the send'),
    (failure: Error & { code?: string; side?: string; bytes?: number }) => failure,
  );
  assert.ok(error.code === 'ECONNRESET' || error.code === 'EPIPE', String(error.code));
  assert.equal(error.side, 'socket');
  assert.ok(error.bytes! > 0);

  const writeOnly = openSync(join(directory, 'write-only'), 'w');
  t.after(() => closeSync(writeOnly));
  const other = await writableSocketPair(t);
  await assert.rejects(nativeFileSender()!.sendFromFile(other.descriptor, writeOnly, 0, 1000, 0).done, { code: 'EBADF', side: 'file', bytes: 0 });
  assert.throws(() => nativeFileSender()!.sendFromFile(-1, fd, 0, 10, 0), TypeError);
  assert.throws(() => nativeFileSender()!.sendFromFile(other.descriptor, fd, 0, -10, 0), TypeError);
});

test('sendFromFile serves many waiting sockets at once: clients read in reverse order each get their whole range, and one cancelled does not disturb the rest', sender, async (t) => {
  const directory = await makeTempDir(t);
  const payload = randomPayload(8 * 1024 * 1024 + 77);
  const fd = openedFile(t, directory, payload);
  const pairs = [];
  for (let index = 0; index < 10; index++) pairs.push(await writableSocketPair(t));
  for (const { client } of pairs) client.pause(); // every socket fills and waits: more than the thread pool's four threads could hold
  const sendings = pairs.map(({ descriptor }) => nativeFileSender()!.sendFromFile(descriptor, fd, 0, payload.length, 0));
  sendings[4]!.cancel();
  assert.equal((await sendings[4]!.done).ending, 'cancelled');
  for (let index = pairs.length - 1; index >= 0; index--) {
    if (index === 4) continue;
    const { client, accepted } = pairs[index]!;
    const received = readAll(client);
    client.resume();
    assert.deepEqual(await sendings[index]!.done, { bytes: payload.length, ending: 'end' }, `send ${index}`);
    accepted.end();
    assert.equal(sha256(await received), sha256(payload), `client ${index} got every byte`);
  }
});

test('sendFromFile sends up to firstBytes on the calling thread before it returns (a small file ends there), the rest from the sender thread; a bad firstBytes throws', sender, async (t) => {
  const directory = await makeTempDir(t);
  const payload = randomPayload(3 * 1024 * 1024);
  const fd = openedFile(t, directory, payload);
  const small = await writableSocketPair(t);
  const smallReceived = readAll(small.client);
  const smallSending = nativeFileSender()!.sendFromFile(small.descriptor, fd, 0, 5000, 0, 64 * 1024);
  assert.equal(smallSending.bytes(), 5000, 'all of it before sendFromFile returned');
  assert.deepEqual(await smallSending.done, { bytes: 5000, ending: 'end' });
  small.accepted.end();
  assert.equal(sha256(await smallSending.done.then(() => smallReceived)), sha256(payload.subarray(0, 5000)));

  const big = await writableSocketPair(t);
  const bigReceived = readAll(big.client);
  const bigSending = nativeFileSender()!.sendFromFile(big.descriptor, fd, 0, payload.length, 0, 8 * 1024);
  // At least the first 8 KiB before the call returned (a fresh socket takes that much at once);
  // how much more the sender thread has sent by now is a race.
  assert.ok(bigSending.bytes() >= 8 * 1024, `${bigSending.bytes()} bytes when the call returned`);
  assert.deepEqual(await bigSending.done, { bytes: payload.length, ending: 'end' });
  big.accepted.end();
  assert.equal(sha256(await bigReceived), sha256(payload));
  assert.throws(() => nativeFileSender()!.sendFromFile(big.descriptor, fd, 0, 10, 0, -1), TypeError);
});

const passive = { skip: nativePassiveSockets() === null && 'bare passive descriptors not built (Linux only)' };

test('the bare passive descriptors are built on Linux', { skip: process.platform !== 'linux' || process.env['FERRY_NATIVE'] === '0' }, () => {
  assert.notEqual(nativePassiveSockets(), null);
});

test('listenTcp listens on a port of its own (IPv4 and IPv6), acceptPending takes waiting connections with their peers, null when none waits', passive, async (t) => {
  const sockets = nativePassiveSockets()!;
  for (const [address, peer] of [['127.0.0.1', '127.0.0.1'], ['::1', '::1']] as const) {
    const [listenFd, port] = sockets.listenTcp(address, 0, 8);
    t.after(() => closeSync(listenFd));
    assert.ok(port > 0);
    assert.equal(sockets.acceptPending(listenFd), null, `${address}: nobody connected yet`);
    const client = connect({ host: address, port });
    t.after(() => client.destroy());
    await once(client, 'connect');
    const pending = sockets.acceptPending(listenFd);
    assert.ok(pending !== null, `${address}: the connection waits`);
    const [fd, remoteAddress] = pending;
    assert.equal(remoteAddress, peer);
    assert.equal(sockets.acceptPending(listenFd), null, 'one connection, taken once');
    // The descriptor is the connection: what is written to it arrives.
    writeSync(fd, 'hello');
    closeSync(fd);
    assert.equal((await readAll(client)).toString(), 'hello');
  }
});

test('listenTcp refuses a taken port (EADDRINUSE), a name that is no IP address (EINVAL) and bad arguments; acceptPending a bad descriptor', passive, (t) => {
  const sockets = nativePassiveSockets()!;
  const [listenFd, port] = sockets.listenTcp('127.0.0.1', 0, 8);
  t.after(() => closeSync(listenFd));
  assert.throws(() => sockets.listenTcp('127.0.0.1', port, 8), { code: 'EADDRINUSE' });
  assert.throws(() => sockets.listenTcp('localhost', 0, 8), { code: 'EINVAL' });
  assert.throws(() => sockets.listenTcp('127.0.0.1', 70000, 8), TypeError);
  assert.throws(() => sockets.listenTcp('127.0.0.1', 0, 0), TypeError);
  assert.throws(() => (sockets.listenTcp as (...args: unknown[]) => unknown)(1, 0, 8), TypeError);
  assert.throws(() => sockets.acceptPending(-1), TypeError);
  const file = openSync(process.execPath, 'r');
  t.after(() => closeSync(file));
  assert.throws(() => sockets.acceptPending(file), { code: 'ENOTSOCK' });
});
