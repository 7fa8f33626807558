/**
 * Downloads whose size the caller already knows (mirror, from the listing) spare the SIZE round
 * trip; others ask for it. Checked on the commands a scripted server receives.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FtpClient } from '../../src/client/ftp-client.js';
import { mirrorDownload } from '../../src/client/mirror.js';
import { startScriptedServer, unixListLine, type ScriptedSession } from '../fixtures/malicious-server/scripted-ftp-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const content = Buffer.from('twelve bytes');

async function serverWithFile(t: Parameters<typeof makeTempDir>[0]) {
  const server = await startScriptedServer({
    commands: {
      SIZE: (s) => s.write(`213 ${content.length}\r\n`),
      RETR: async (s: ScriptedSession) => {
        s.write('150 sending\r\n');
        (await s.dataSocket()).end(content);
        s.write('226 done\r\n');
      },
      LIST: async (s: ScriptedSession) => {
        s.write('150 listing\r\n');
        (await s.dataSocket()).end(`${unixListLine('a.txt', content.length)}\r\n${unixListLine('b.txt', content.length)}\r\n`);
        s.write('226 done\r\n');
      },
    },
  });
  t.after(() => server.close());
  return server;
}

test('a download with knownSize sends no SIZE and reports that total; without it the client asks', async (t) => {
  const server = await serverWithFile(t);
  const client = new FtpClient({ replyTimeoutMs: 2000, dataTimeoutMs: 2000 });
  t.after(() => client.close());
  await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
  const directory = await makeTempDir(t);
  const totals: (number | undefined)[] = [];
  await client.download('/f.txt', join(directory, 'known.txt'), { knownSize: content.length, onProgress: (p) => totals.push(p.totalBytes) });
  assert.equal(server.received.filter((line) => line.startsWith('SIZE')).length, 0);
  assert.deepEqual(new Set(totals), new Set([content.length]));
  assert.deepEqual(await readFile(join(directory, 'known.txt')), content);
  await client.download('/f.txt', join(directory, 'asked.txt'));
  assert.deepEqual(server.received.filter((line) => line.startsWith('SIZE')), ['SIZE /f.txt']);
});

test('mirror takes each file size from the listing instead of asking with SIZE', async (t) => {
  const server = await serverWithFile(t);
  const target = await makeTempDir(t);
  const summary = await mirrorDownload('/d', target, {
    connect: async () => {
      const client = new FtpClient({ replyTimeoutMs: 2000, dataTimeoutMs: 2000 });
      await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
      return client;
    },
  });
  assert.equal(summary.transferredFiles, 2);
  assert.deepEqual(server.received.filter((line) => line.startsWith('RETR')).sort(), ['RETR /d/a.txt', 'RETR /d/b.txt']);
  assert.equal(server.received.filter((line) => line.startsWith('SIZE')).length, 0);
});
