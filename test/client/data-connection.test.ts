/**
 * The client's data channels against Ferry's server: a plain download socket reads into the
 * caller's buffers (`onread`) in both modes, and a TLS one never does.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { OnReadOpts } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ControlConnection } from '../../src/client/control-connection.js';
import { openDataChannel, type DataMode } from '../../src/client/data-connection.js';
import { defaultReplyParserLimits } from '../../src/protocol/reply.js';
import { randomContent } from './support/file-checks.js';
import { startFerryServer } from './support/ferry-server.js';

/** A logged-in control connection to a fresh Ferry server whose root holds `name` with `content`. */
async function loggedIn(t: TestContext, name: string, content: Buffer): Promise<ControlConnection> {
  const server = await startFerryServer('127.0.0.1');
  t.after(() => server.stop());
  await writeFile(join(server.root, name), content);
  const { connection } = await ControlConnection.open({
    host: server.host,
    port: server.port,
    connectTimeoutMs: 10_000,
    replyTimeoutMs: 10_000,
    maxReplyLineBytes: defaultReplyParserLimits.maxLineBytes,
    maxReplyLines: defaultReplyParserLimits.maxReplyLines,
    tls: null,
    isImplicitTls: false,
  });
  t.after(() => connection.close());
  await connection.request('USER', server.user);
  await connection.request('PASS', server.password);
  await connection.request('TYPE', 'I');
  return connection;
}

for (const mode of ['passive', 'active'] as DataMode[]) {
  test(`a plain ${mode} download socket reads into the buffers it was given`, async (t) => {
    const content = randomContent(3 * 1024 * 1024 + 5);
    const control = await loggedIn(t, 'file.bin', content);
    const buffer = Buffer.alloc(64 * 1024);
    const received: Buffer[] = [];
    const readInto: OnReadOpts = {
      buffer,
      callback: (bytes) => {
        received.push(Buffer.from(buffer.subarray(0, bytes)));
        return true;
      },
    };
    const options = { mode, usesEpsv: true, usesEprt: true, allowsForeignPassiveAddress: false, dataTimeoutMs: 10_000 };
    const channel = await openDataChannel(control, options, { isEpsvRefused: false, isEprtRefused: false }, null, readInto);
    t.after(() => channel.close());
    control.send('RETR', 'file.bin');
    assert.equal((await control.readReply()).replyCode, 150);
    const socket = await channel.connected(new AbortController().signal);
    assert.equal(channel.readsInto, true);
    socket.resume(); // a socket accepted paused (active mode) starts when resumed
    await once(socket, 'end');
    assert.equal((await control.readReply()).replyCode, 226);
    assert.ok(Buffer.concat(received).equals(content), 'every byte came through the given buffer, in order');
  });
}
