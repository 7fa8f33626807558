import assert from 'node:assert/strict';
import { lstatSync, symlinkSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lstatEach, lstatWorkerAnswers, type EntryStats } from '../../src/storage/directory-lstat.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function collect(directory: string, names: string[]): Promise<Map<string, EntryStats>> {
  const seen = new Map<string, EntryStats>();
  await lstatEach(directory, names, (name, stats) => {
    assert.ok(!seen.has(name), `${name} visited once`);
    seen.set(name, { ...stats }); // stats may be reused for the next entry
  });
  return seen;
}

function assertSameAsLstat(directory: string, seen: Map<string, EntryStats>): void {
  for (const [name, stats] of seen) {
    const expected = lstatSync(join(directory, name));
    assert.deepEqual(
      { mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino },
      { mode: expected.mode, size: expected.size, mtimeMs: expected.mtimeMs, dev: expected.dev, ino: expected.ino },
      name,
    );
  }
}

test('a big directory is lstat-ed on two threads, every entry once and exactly as lstat sees it', async (t) => {
  const directory = await makeTempDir(t);
  const names: string[] = [];
  for (let index = 0; index < 3000; index++) {
    const name = `entry-${index}`;
    if (index % 500 === 7) mkdirSync(join(directory, name));
    else if (index % 500 === 9) symlinkSync('entry-0', join(directory, name));
    else writeFileSync(join(directory, name), 'x'.repeat(index % 97));
    names.push(name);
  }
  const answersBefore = lstatWorkerAnswers();
  const seen = await collect(directory, names);
  assert.equal(lstatWorkerAnswers(), answersBefore + 1, 'half of the names went to the worker');
  assert.equal(seen.size, names.length);
  assertSameAsLstat(directory, seen);
});

test('entries that vanished before their lstat are left out, on either thread', async (t) => {
  const directory = await makeTempDir(t);
  const names = Array.from({ length: 2000 }, (_, index) => `f${index}`);
  for (const name of names) writeFileSync(join(directory, name), name);
  const gone = new Set(['f3', 'f1500', 'f1999']);
  for (const name of gone) unlinkSync(join(directory, name));
  const seen = await collect(directory, names);
  assert.equal(seen.size, names.length - gone.size);
  for (const name of gone) assert.ok(!seen.has(name));
  assertSameAsLstat(directory, seen);
});

test('a small directory stays on the event loop thread', async (t) => {
  const directory = await makeTempDir(t);
  const names = ['a', 'b', 'c'];
  for (const name of names) writeFileSync(join(directory, name), name);
  const answersBefore = lstatWorkerAnswers();
  const seen = await collect(directory, names);
  assert.equal(lstatWorkerAnswers(), answersBefore);
  assertSameAsLstat(directory, seen);
});
