/**
 * Server output is hostile: these specifications run the client against a scripted server that
 * misbehaves on purpose, and prove each defence (bounded replies and listings, safe names,
 * no command injection, no 227 redirection, no foreign active peers, timeouts, completion rules).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, mkdir, readdir, rm, symlink, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FtpClient, type FtpClientOptions } from '../../src/client/ftp-client.js';
import {
  FtpConnectionClosedError,
  FtpLimitExceededError,
  FtpProtocolError,
  FtpReplyError,
  FtpTimeoutError,
  FtpUnsafeNameError,
} from '../../src/client/errors.js';
import { CommandInjectionError } from '../../src/protocol/command-line.js';
import { mirrorDownload } from '../../src/client/mirror.js';
import { startScriptedServer, unixDirLine, unixListLine, type ScriptedServerOptions } from '../fixtures/malicious-server/scripted-ftp-server.js';
import { bufferDigest, randomContent } from './support/file-checks.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scripted(options: ScriptedServerOptions) {
  const server = await startScriptedServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function connected(options: ScriptedServerOptions, clientOptions: FtpClientOptions = {}) {
  const server = await scripted(options);
  const client = new FtpClient({ replyTimeoutMs: 2000, dataTimeoutMs: 2000, ...clientOptions });
  cleanups.push(() => client.close());
  await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
  return { server, client };
}

async function tempDir(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'ferry-hostile-'));
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  return path;
}

function collect(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
}

describe('bounded replies', () => {
  it('closes with FtpProtocolError when a reply line exceeds maxReplyLineBytes', async () => {
    const server = await scripted({ greeting: `220 ${'x'.repeat(64 * 1024)}` });
    const client = new FtpClient({ maxReplyLineBytes: 4096 });
    await assert.rejects(client.connect({ host: server.host, port: server.port }), FtpProtocolError);
    assert.equal(client.isConnected, false);
  });

  it('closes with FtpProtocolError on an endless multi-line reply', async () => {
    const server = await scripted({
      commands: {
        FEAT: (session) => {
          session.write('211-Features:\r\n');
          // Endless: keep writing lines until the client hangs up.
          const timer = setInterval(() => session.write(' X\r\n'.repeat(500)), 1);
          session.control.on('close', () => clearInterval(timer));
        },
      },
    });
    const victim = new FtpClient({ maxReplyLines: 1000, replyTimeoutMs: 5000 });
    await assert.rejects(victim.connect({ host: server.host, port: server.port, user: 'u', password: 'p' }), (error: unknown) => {
      assert.ok(error instanceof FtpProtocolError);
      assert.match(error.message, /too many lines/);
      return true;
    });
  });

  it('raises FtpReplyError for a 4xx reply and stays usable', async () => {
    const { client } = await connected({ commands: { SIZE: (s) => s.write('450 busy, try later\r\n') } });
    await assert.rejects(client.size('a'), (error: unknown) => error instanceof FtpReplyError && error.replyCode === 450 && error.isTransient);
    assert.equal(await client.pwd(), '/');
  });

  it('rejects with FtpConnectionClosedError when the server hangs up mid-request', async () => {
    const { client } = await connected({ commands: { SIZE: (s) => void s.control.destroy() } });
    await assert.rejects(client.size('a'), FtpConnectionClosedError);
    assert.equal(client.isConnected, false);
    await assert.rejects(client.pwd(), FtpConnectionClosedError);
  });
});

describe('timeouts', () => {
  it('times out a server that accepts but never greets', async () => {
    const server = await scripted({ greeting: null });
    const client = new FtpClient({ connectTimeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(client.connect({ host: server.host, port: server.port }), FtpTimeoutError);
    assert.ok(Date.now() - started < 2000);
  });

  it('times out a reply that never comes and closes the connection', async () => {
    const { client } = await connected({ commands: { SIZE: () => undefined } }, { replyTimeoutMs: 200 });
    await assert.rejects(client.size('a'), FtpTimeoutError);
    assert.equal(client.isConnected, false);
  });

  it('times out a stalled data connection, sends ABOR, and stays usable', async () => {
    const { client, server } = await connected(
      {
        commands: {
          RETR: async (s) => {
            s.write('150 here it comes\r\n');
            (await s.dataSocket()).write('only a little');
          },
        },
      },
      { dataTimeoutMs: 300 },
    );
    await assert.rejects(client.download('stall.bin', collect([])), FtpTimeoutError);
    assert.ok(server.received.includes('ABOR'));
    assert.equal(await client.pwd(), '/');
  });
});

describe('completion needs both the data end and the final reply', () => {
  it('waits for data that arrives after the 226', async () => {
    const content = randomContent(256 * 1024);
    const { client } = await connected({
      commands: {
        RETR: async (s) => {
          const data = await s.dataSocket();
          s.write('150 sending\r\n226 done already\r\n');
          setTimeout(() => data.end(content), 100);
        },
      },
    });
    const chunks: Buffer[] = [];
    await client.download('late.bin', collect(chunks));
    assert.deepEqual(bufferDigest(Buffer.concat(chunks)), bufferDigest(content));
  });

  it('waits for the final reply that arrives after the data ended, and reports a 451 as a failure', async () => {
    let replyAt = 0;
    const { client } = await connected({
      commands: {
        RETR: async (s) => {
          s.write('150 sending\r\n');
          (await s.dataSocket()).end('all the bytes');
          setTimeout(() => {
            replyAt = Date.now();
            s.write('451 local error after the data\r\n');
          }, 150);
        },
      },
    });
    await assert.rejects(client.download('x', collect([])), (error: unknown) => error instanceof FtpReplyError && error.replyCode === 451);
    assert.ok(replyAt > 0 && Date.now() >= replyAt, 'settled only after the final reply was sent');
    assert.equal(await client.pwd(), '/');
  });
});

describe('hostile listings', () => {
  it('stops a listing larger than maxListingBytes with FtpLimitExceededError and stays usable', async () => {
    const { client, server } = await connected(
      {
        commands: {
          LIST: async (s) => {
            s.write('150 listing\r\n');
            const data = await s.dataSocket();
            const line = Buffer.from(unixListLine('f'.repeat(200)) + '\r\n');
            const pump = () => {
              while (!data.destroyed && data.write(line));
              if (!data.destroyed) data.once('drain', pump);
            };
            pump();
          },
        },
      },
      { maxListingBytes: 1024 * 1024 },
    );
    await assert.rejects(client.list('/huge'), FtpLimitExceededError);
    assert.ok(server.received.includes('ABOR'));
    assert.equal(await client.pwd(), '/');
  });

  const hostileNames = ['../escaped', '/tmp/ferry-absolute', 'a/b', '..\\win', 'cr\rname', 'nul\0name'];

  it('mirror refuses names that would escape the target directory and still copies the safe ones', async () => {
    const listing = [...hostileNames.map((name) => unixListLine(name)), unixDirLine('..'), unixListLine('good.txt')].join('\r\n') + '\r\n';
    const server = await scripted({
      commands: {
        LIST: async (s) => {
          s.write('150 listing\r\n');
          (await s.dataSocket()).end(listing);
          s.write('226 done\r\n');
        },
        RETR: async (s, argument) => {
          s.write('150 sending\r\n');
          (await s.dataSocket()).end(`content of ${argument}`);
          s.write('226 done\r\n');
        },
      },
    });
    const base = await tempDir();
    const target = join(base, 'inside');
    const summary = await mirrorDownload('/d', target, {
      connect: async () => {
        const client = new FtpClient({ replyTimeoutMs: 2000 });
        await client.connect({ host: server.host, port: server.port, user: 'u', password: 'p' });
        return client;
      },
    });
    assert.deepEqual([...summary.refusedNames].sort(), [...hostileNames].sort());
    assert.equal(summary.transferredFiles, 1);
    assert.deepEqual(await readdir(target), ['good.txt']);
    assert.deepEqual(await readdir(base), ['inside'], 'nothing was written next to the target');
    assert.equal(await readFile(join(target, 'good.txt'), 'utf8'), 'content of /d/good.txt');
    assert.deepEqual(server.received.filter((line) => line.startsWith('RETR')), ['RETR /d/good.txt']);
  });

  it('mirror does not write through a local symbolic link', async () => {
    const server = await scripted({
      commands: {
        LIST: async (s, argument) => {
          s.write('150 listing\r\n');
          (await s.dataSocket()).end(argument === '/d' ? unixDirLine('link') + '\r\n' : unixListLine('planted') + '\r\n');
          s.write('226 done\r\n');
        },
      },
    });
    const base = await tempDir();
    await mkdir(join(base, 'target'));
    await mkdir(join(base, 'elsewhere'));
    await symlink(join(base, 'elsewhere'), join(base, 'target', 'link'));
    const summary = await mirrorDownload('/d', join(base, 'target'), {
      connect: async () => {
        const client = new FtpClient({ replyTimeoutMs: 2000 });
        await client.connect({ host: server.host, port: server.port });
        return client;
      },
    });
    assert.equal(summary.failures.length, 1);
    assert.ok(summary.failures[0]!.error instanceof FtpUnsafeNameError);
    assert.deepEqual(await readdir(join(base, 'elsewhere')), []);
  });

  it('recursive remove refuses a listing name that would leave the directory', async () => {
    const { client, server } = await connected({
      commands: {
        LIST: async (s) => {
          s.write('150 listing\r\n');
          (await s.dataSocket()).end(unixListLine('../../etc/passwd') + '\r\n');
          s.write('226 done\r\n');
        },
      },
    });
    await assert.rejects(client.removeDirectory('/victim', { recursive: true }), FtpUnsafeNameError);
    // Only the DELE that tries /victim itself as a link (ftp-client.ts removeTreeUnlocked) is sent.
    assert.deepEqual(server.received.filter((line) => /^(DELE|RMD)/.test(line)), ['DELE /victim']);
  });
});

describe('outgoing commands', () => {
  it('refuses CR, LF and NUL in a command argument and sends nothing', async () => {
    const { client, server } = await connected({ commands: { RNFR: (s) => s.write('350 ready for RNTO\r\n') } });
    for (const path of ['a\r\nDELE b', 'a\nDELE b', 'a\0b']) {
      await assert.rejects(client.size(path), CommandInjectionError);
    }
    await assert.rejects(client.rename('x', 'y\r\nDELE z'), CommandInjectionError);
    assert.equal(server.received.filter((line) => line.startsWith('SIZE') || line.startsWith('DELE')).length, 0);
    assert.equal(await client.pwd(), '/', 'still usable');
  });
});

describe('data connection addresses', () => {
  it('ignores a 227 address that differs from the control host, unless allowed', async () => {
    // A listener on 127.0.0.2 stands for a third host the server tries to point us at.
    const foreign = createServer((socket) => socket.end('FROM THE FOREIGN HOST'));
    foreign.listen(0, '127.0.0.2');
    await once(foreign, 'listening');
    cleanups.push(() => new Promise((resolve) => foreign.close(() => resolve())));
    const foreignPort = (foreign.address() as { port: number }).port;
    let realPassivePort = 0;
    const options: ScriptedServerOptions = {
      commands: {
        PASV: (s) => {
          // Real listener on the control host, same port number as the foreign one is not needed:
          // the client keeps the port and swaps the host, so announce the port we really listen on.
          const listener = createServer((socket) => socket.end('FROM THE CONTROL HOST'));
          listener.listen(foreignPort, '127.0.0.1', () => {
            realPassivePort = foreignPort;
            s.write(`227 Entering Passive Mode (127,0,0,2,${foreignPort >> 8},${foreignPort & 0xff})\r\n`);
          });
          listener.on('error', () => s.write('425 port busy\r\n'));
          cleanups.push(() => new Promise((resolve) => listener.close(() => resolve())));
        },
        RETR: (s) => s.write('150 go\r\n226 done\r\n'),
      },
    };
    const { client } = await connected(options, { usesEpsv: false });
    const safe: Buffer[] = [];
    await client.download('x', collect(safe));
    assert.equal(realPassivePort, foreignPort);
    assert.equal(Buffer.concat(safe).toString(), 'FROM THE CONTROL HOST');

    const { client: trusting } = await connected(
      { commands: { ...options.commands, PASV: (s) => s.write(`227 Entering Passive Mode (127,0,0,2,${foreignPort >> 8},${foreignPort & 0xff})\r\n`) } },
      { usesEpsv: false, allowsForeignPassiveAddress: true },
    );
    const followed: Buffer[] = [];
    await trusting.download('x', collect(followed));
    assert.equal(Buffer.concat(followed).toString(), 'FROM THE FOREIGN HOST');
  });

  it('in active mode accepts the data connection only from the control peer', async () => {
    const { client } = await connected(
      {
        commands: {
          EPRT: (s, argument) => {
            const [, , host = '', port = ''] = argument.split('|');
            // An intruder on another address connects first and tries to inject data.
            const intruder: Socket = connect({ host, port: Number(port), localAddress: '127.0.0.2' }, () => intruder.end('INJECTED'));
            intruder.on('error', () => undefined);
            intruder.on('close', () => {
              const real = connect({ host, port: Number(port) }, () => {
                s.write('150 go\r\n');
                real.end('GENUINE', () => s.write('226 done\r\n'));
              });
              real.on('error', () => undefined);
            });
            s.write('200 EPRT ok\r\n');
          },
          RETR: () => undefined,
        },
      },
      { dataMode: 'active' },
    );
    const chunks: Buffer[] = [];
    await client.download('x', collect(chunks));
    assert.equal(Buffer.concat(chunks).toString(), 'GENUINE');
  });
});
