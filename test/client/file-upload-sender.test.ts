/**
 * The client's big uploads from local files go through sendfile (src/client/file-upload-sender.ts,
 * file-io/send-through-descriptor.ts) in both data modes and when resuming, with progress and
 * abort as on the buffer path; small files and ASCII uploads do not. The server is Ferry, in
 * process; every file is checked byte for byte on its disk.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FtpAbortError } from '../../src/client/errors.js';
import { sendfileUploadCount } from '../../src/client/file-upload-sender.js';
import { FtpClient } from '../../src/client/ftp-client.js';
import type { FtpServerOptions } from '../../src/server/ftp-server.js';
import { isRootOnLocalFileSystem } from '../../src/file-io/inline-file-io.js';
import { nativeFileSender } from '../../src/native/native-addon.js';
import { nativeTransfersRunning } from '../../src/native/native-transfer.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

const sender = { skip: nativeFileSender() === null && 'sendfile sender not built (Linux only)' };

/** Big enough for sendfile (native-transfer.ts: 8 MiB and up). */
const bigBytes = 9 * 1024 * 1024 + 4321;

async function setUp(t: test.TestContext, dataMode: 'passive' | 'active' = 'passive', options: FtpServerOptions = {}): Promise<{ client: FtpClient; root: string; local: string; payload: Buffer }> {
  const { port, root, username, password } = await startTestServer(t, options);
  const directory = await makeTempDir(t);
  await isRootOnLocalFileSystem(directory); // settle the asynchronous verdict the sender asks for
  const payload = randomPayload(bigBytes);
  const local = join(directory, 'big.bin');
  await writeFile(local, payload);
  await writeFile(join(directory, 'small.bin'), payload.subarray(0, 1024 * 1024));
  const client = new FtpClient({ dataMode });
  t.after(() => client.close());
  await client.connect({ host: '127.0.0.1', port, user: username, password });
  return { client, root, local, payload };
}

for (const dataMode of ['passive', 'active'] as const) {
  test(`a big upload from a local file goes through sendfile in ${dataMode} mode, whole, with its progress`, sender, async (t) => {
    const { client, root, local, payload } = await setUp(t, dataMode);
    const before = sendfileUploadCount();
    let lastProgress = 0;
    const result = await client.upload(local, '/up.bin', { onProgress: (progress) => (lastProgress = progress.transferredBytes) });
    assert.equal(sendfileUploadCount() - before, 1);
    assert.equal(result.transferredBytes, payload.length);
    assert.equal(lastProgress, payload.length);
    assert.equal(sha256(await readFile(join(root, 'up.bin'))), sha256(payload));
  });
}

test('a resumed big upload sends the missing part with sendfile; small files and ASCII uploads take the buffer path', sender, async (t) => {
  const { client, root, local, payload } = await setUp(t);
  await writeFile(join(root, 'resumed.bin'), payload.subarray(0, 700_001));
  const before = sendfileUploadCount();
  const resumed = await client.upload(local, '/resumed.bin', { resume: true });
  assert.equal(resumed.startOffset, 700_001);
  assert.equal(sendfileUploadCount() - before, 1, 'resumed: sent with sendfile');
  assert.equal(sha256(await readFile(join(root, 'resumed.bin'))), sha256(payload));

  await client.upload(join(local, '..', 'small.bin'), '/small.bin');
  assert.equal(sendfileUploadCount() - before, 1, 'a 1 MiB file takes the buffer path');
  assert.equal(sha256(await readFile(join(root, 'small.bin'))), sha256(payload.subarray(0, 1024 * 1024)));

  await client.upload(local, '/ascii.bin', { type: 'ascii' });
  assert.equal(sendfileUploadCount() - before, 1, 'ASCII converts on the stream path');
});

test('aborting a sendfile upload rejects with FtpAbortError, stops the sender, and the client goes on', sender, async (t) => {
  // The server reads at 2 MiB/s, so the upload is still running when its first progress comes.
  const { client, root, local, payload } = await setUp(t, 'passive', { bandwidth: { uploadBytesPerSecond: 2 * 1024 * 1024, downloadBytesPerSecond: 0 } });
  const controller = new AbortController();
  const before = sendfileUploadCount();
  const upload = client.upload(local, '/aborted.bin', {
    signal: controller.signal,
    onProgress: (progress) => {
      if (progress.transferredBytes > 0) controller.abort();
    },
  });
  await assert.rejects(upload, FtpAbortError);
  assert.equal(sendfileUploadCount() - before, 1);
  for (let attempt = 0; nativeTransfersRunning() > 0; attempt++) {
    assert.ok(attempt < 100, 'the native transfers end within a second');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.upload(join(local, '..', 'small.bin'), '/after.bin');
  assert.equal(sha256(await readFile(join(root, 'after.bin'))), sha256(payload.subarray(0, 1024 * 1024)));
});
