import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { runStorageContract, readFile, vp, writeFile } from './storage-contract.js';

runStorageContract('MemoryStorage', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }));

describe('MemoryStorage', () => {
  it('keeps separate instances separate', async () => {
    const first = new MemoryStorage();
    const second = new MemoryStorage();
    await writeFile(first, '/f', 'x');
    assert.deepEqual(await second.list(vp('/')), []);
  });

  it('serves an open read from a snapshot taken when it was opened', async () => {
    const storage = new MemoryStorage();
    await writeFile(storage, '/f', 'before');
    const { stream } = await storage.openRead(vp('/f'));
    await writeFile(storage, '/f', 'after, and longer');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'before');
    assert.equal((await readFile(storage, '/f')).toString(), 'after, and longer');
  });

  it('does not change stored content when the uploader reuses its buffer', async () => {
    const storage = new MemoryStorage();
    const buffer = Buffer.from('original');
    const target = await storage.openWrite(vp('/f'), { mode: 'truncate' });
    await new Promise<void>((resolve) => target.stream.write(buffer, () => resolve()));
    buffer.fill(0x41);
    await new Promise<void>((resolve) => target.stream.end(() => resolve()));
    assert.equal((await readFile(storage, '/f')).toString(), 'original');
  });
});
