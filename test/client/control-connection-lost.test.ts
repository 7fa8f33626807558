/**
 * A control connection lost during a transfer. Regression for the hunt-client bug
 * bug_ctl_drop.sh: a control connection reset while the data connection kept flowing was reported
 * as `FtpAbortError: transfer refused` (transfer.ts aborted the data side with that reason for any
 * failure of the pending final reply), so `--retries` and mirror's retries gave up at once; and
 * `close()` during a download rejected with the same "transfer refused".
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { FtpClient } from '../../src/client/ftp-client.js';
import { FtpConnectionClosedError, FtpReplyError } from '../../src/client/errors.js';
import { isTransient, mirrorDownload, type MirrorEvent } from '../../src/client/mirror.js';
import { endlessSlowRetr, startScriptedServer, type ScriptedServer, type ScriptedSession } from '../fixtures/malicious-server/scripted-ftp-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bufferDigest, fileDigest, randomContent } from './support/file-checks.js';

const isSource = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL(`./support/ferry-cli.${isSource ? 'ts' : 'js'}`, import.meta.url));
const nodeArguments = isSource ? ['--import', import.meta.resolve('tsx')] : [];

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const firstPartBytes = 64 * 1024;

/**
 * A server for `content` whose first RETR sends 150 and the first 64 KiB, then resets the control
 * connection while the data connection stays open (as a NAT or proxy dropping only the control
 * flow does). Later RETRs send the rest from the REST offset and answer 226. MLSD lists the file.
 */
async function serverThatDropsControlOnce(content: Buffer): Promise<ScriptedServer> {
  let hasDropped = false;
  const offsets = new WeakMap<Socket, number>();
  const server = await startScriptedServer({
    commands: {
      FEAT: (s) => s.write('211-Features:\r\n MLST type*;size*;\r\n REST STREAM\r\n211 End\r\n'),
      SIZE: (s) => s.write(`213 ${content.length}\r\n`),
      REST: (s, argument) => {
        offsets.set(s.control, Number(argument));
        s.write(`350 restarting at ${argument}\r\n`);
      },
      MLSD: async (s) => {
        s.write('150 listing\r\n');
        (await s.dataSocket()).end(`type=file;size=${content.length}; big.bin\r\n`);
        s.write('226 done\r\n');
      },
      RETR: async (s: ScriptedSession) => {
        s.write('150 sending\r\n');
        const data = await s.dataSocket();
        if (!hasDropped) {
          hasDropped = true;
          data.write(content.subarray(0, firstPartBytes), () => s.control.resetAndDestroy());
          return;
        }
        data.end(content.subarray(offsets.get(s.control) ?? 0), () => s.write('226 done\r\n'));
      },
    },
  });
  cleanups.push(() => server.close());
  return server;
}

/** A server whose RETR sends 150 and then 1 KiB every 20 ms until the client goes away. */
async function serverWithEndlessDownload(): Promise<ScriptedServer> {
  const server = await startScriptedServer({
    commands: {
      RETR: endlessSlowRetr,
    },
  });
  cleanups.push(() => server.close());
  return server;
}

async function connectedClient(server: ScriptedServer): Promise<FtpClient> {
  const client = new FtpClient({ replyTimeoutMs: 5000, dataTimeoutMs: 5000 });
  cleanups.push(() => client.close());
  await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
  return client;
}

describe('a control connection lost during a transfer', () => {
  it('rejects with FtpConnectionClosedError (transient), not as a refusal', async (t) => {
    const server = await serverThatDropsControlOnce(randomContent(1024 * 1024));
    const client = await connectedClient(server);
    const local = join(await makeTempDir(t), 'big.bin');
    await assert.rejects(client.download('big.bin', local), (error: unknown) => {
      assert.ok(error instanceof FtpConnectionClosedError, `expected FtpConnectionClosedError, got ${String(error)}`);
      assert.equal(error.isClosedByCaller, false);
      assert.equal(isTransient(error), true);
      return true;
    });
    assert.equal(client.isConnected, false);
  });

  it('close() during a download rejects it as closed by the caller, which is not retried', async () => {
    const server = await serverWithEndlessDownload();
    const client = await connectedClient(server);
    let hasClosed = false;
    const download = client.download('endless.bin', await makeSink(), {
      onProgress: () => {
        if (hasClosed) return;
        hasClosed = true;
        void client.close();
      },
    });
    await assert.rejects(download, (error: unknown) => {
      assert.ok(error instanceof FtpConnectionClosedError, `expected FtpConnectionClosedError, got ${String(error)}`);
      assert.equal(error.isClosedByCaller, true);
      assert.match(error.message, /closed by the caller/);
      assert.equal(isTransient(error), false);
      return true;
    });
  });

  it('a 550 to RETR is still a refusal (FtpReplyError)', async (t) => {
    const server = await startScriptedServer({ commands: { RETR: (s) => s.write('550 no such file\r\n') } });
    cleanups.push(() => server.close());
    const client = await connectedClient(server);
    await assert.rejects(client.download('missing.bin', join(await makeTempDir(t), 'x')), FtpReplyError);
  });

  it('mirror retries the file on a new connection and resumes it', async (t) => {
    const content = randomContent(1024 * 1024);
    const server = await serverThatDropsControlOnce(content);
    const local = await makeTempDir(t);
    const events: MirrorEvent[] = [];
    const summary = await mirrorDownload('/', local, {
      connect: async () => connectedClient(server),
      retries: 1,
      retryDelayMs: () => 0,
      onEvent: (event) => events.push(event),
    });
    assert.deepEqual(summary.failures, []);
    const retries = events.filter((event) => event.kind === 'file-retry');
    assert.equal(retries.length, 1);
    assert.ok(retries[0]!.kind === 'file-retry' && retries[0]!.error instanceof FtpConnectionClosedError);
    assert.deepEqual(await fileDigest(join(local, 'big.bin')), bufferDigest(content));
  });

  it('ferry get --retries waits 1 s, says so, and retries to the complete file', async (t) => {
    const content = randomContent(1024 * 1024);
    const server = await serverThatDropsControlOnce(content);
    const work = await makeTempDir(t);
    await writeFile(join(work, '.keep'), '');
    const startedAt = performance.now();
    const result = await new Promise<{ exitCode: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [...nodeArguments, entry, 'get', '--retries', '2', `ftp://u:p@${server.host}:${server.port}/big.bin`, 'big.bin'],
        { cwd: work, env: { ...process.env, HOME: work }, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ exitCode: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
      );
    });
    const elapsedMs = performance.now() - startedAt;
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /^retry 1 in 1 s after: control connection /m);
    assert.doesNotMatch(result.stderr, /refused|retry 2/);
    assert.ok(elapsedMs >= 1000, `the retry waited ${Math.round(elapsedMs)} ms in all`);
    assert.deepEqual(bufferDigest(await readFile(join(work, 'big.bin'))), bufferDigest(content));
  });
});

/** A Writable that keeps nothing (the endless download's destination). */
async function makeSink() {
  const { Writable } = await import('node:stream');
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
