/**
 * The client's local file failing under a transfer: a full disk ends the download with the
 * operating system's error, and the session stays usable for the next transfer.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FtpClient } from '../../src/client/ftp-client.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startFerryServer } from './support/ferry-server.js';
import { bufferDigest, fileDigest, randomContent } from './support/file-checks.js';

for (const dataMode of ['passive', 'active'] as const) {
  test(`a ${dataMode} download into a full disk fails with ENOSPC and the client goes on`, async (t) => {
    const server = await startFerryServer('127.0.0.1');
    t.after(() => server.stop());
    const content = randomContent(3 * 1024 * 1024 + 11);
    await writeFile(join(server.root, 'big.bin'), content);
    const work = await makeTempDir(t);
    const full = join(work, 'full');
    if ((await mountSmallTmpfs(t, full, '1m')) === null) return;
    const client = new FtpClient({ dataMode, replyTimeoutMs: 10_000, dataTimeoutMs: 10_000 });
    t.after(() => client.close());
    await client.connect({ host: server.host, port: server.port, user: server.user, password: server.password });

    await assert.rejects(client.download('/big.bin', join(full, 'big.bin')), (error: NodeJS.ErrnoException) => error.code === 'ENOSPC');
    assert.equal(await client.pwd(), '/');
    const target = join(work, 'big.bin');
    await client.download('/big.bin', target);
    assert.deepEqual(await fileDigest(target), bufferDigest(content));
  });
}
