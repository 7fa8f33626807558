import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { parseEpsvReplyText, parsePasvReplyText } from '../../src/protocol/data-address.js';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

/**
 * Find a run of free consecutive ports the test can own as a passive range. Below the kernel's
 * ephemeral range: a port inside it can be taken at any moment as the local port of another
 * test's outgoing connection (tests run two files at a time), which made these tests flaky.
 */
async function reserveRange(size: number): Promise<{ min: number; max: number }> {
  const ephemeralMin = await ephemeralRangeStart();
  const low = 10000;
  const high = Math.max(low + 1000, ephemeralMin - size - 1);
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = low + Math.floor(Math.random() * (high - low));
    const servers: Server[] = [];
    try {
      for (let port = min; port < min + size; port++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', resolve);
        });
        servers.push(server);
      }
      return { min, max: min + size - 1 };
    } catch {
      continue;
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  }
  throw new Error('no free port range');
}

/** First port of the kernel's ephemeral range (Linux), or the IANA default elsewhere. */
async function ephemeralRangeStart(): Promise<number> {
  try {
    const [first] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/);
    return Number(first) || 49152;
  } catch {
    return 49152;
  }
}

function pasvPort(text: string): number {
  return parsePasvReplyText(text).port;
}

test('uses only ports from the configured range and says so when it is exhausted', async (t) => {
  const range = await reserveRange(2);
  const { port } = await startTestServer(t, { passivePortRange: range });
  const first = await RawFtpConnection.login(t, port);
  const second = await RawFtpConnection.login(t, port);
  const third = await RawFtpConnection.login(t, port);
  const ports = [pasvPort((await first.expect('PASV', 227)).lines[0]!), parseEpsvReplyText((await second.expect('EPSV', 229)).lines[0]!)];
  for (const used of ports) assert.ok(used >= range.min && used <= range.max, `${used} outside ${range.min}-${range.max}`);
  assert.notEqual(ports[0], ports[1]);
  const refusal = await third.expect('PASV', 425);
  assert.match(refusal.lines[0]!, /No passive port free in range/);
});

test('a second PASV replaces the first and frees its port', async (t) => {
  const range = await reserveRange(1);
  const { port } = await startTestServer(t, { passivePortRange: range });
  const connection = await RawFtpConnection.login(t, port);
  const first = pasvPort((await connection.expect('PASV', 227)).lines[0]!);
  const second = pasvPort((await connection.expect('PASV', 227)).lines[0]!);
  assert.equal(first, range.min);
  assert.equal(second, range.min);
});

test('a session that closes frees its passive port for others', async (t) => {
  const range = await reserveRange(1);
  const { port, server } = await startTestServer(t, { passivePortRange: range });
  const leaving = await RawFtpConnection.login(t, port);
  await leaving.expect('PASV', 227);
  const other = await RawFtpConnection.login(t, port);
  await other.expect('PASV', 425);
  const closed = new Promise((resolve) => server.once('sessionClosed', resolve));
  leaving.close();
  await closed;
  await other.expect('PASV', 227);
});

test('an unused passive port is freed after the accept timeout', async (t) => {
  const range = await reserveRange(1);
  const { port } = await startTestServer(t, { passivePortRange: range, limits: { passiveAcceptTimeoutMs: 200 } });
  const idle = await RawFtpConnection.login(t, port);
  await idle.expect('PASV', 227);
  const other = await RawFtpConnection.login(t, port);
  await other.expect('PASV', 425);
  let reply = await other.send('PASV');
  for (let attempt = 0; reply.replyCode !== 227 && attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    reply = await other.send('PASV');
  }
  assert.equal(reply.replyCode, 227);
  // The timed-out session learns why when it tries to use its stale listener.
  idle.write('LIST\r\n');
  assert.equal((await idle.nextReply()).replyCode, 150);
  assert.equal((await idle.nextReply()).replyCode, 425);
});

test('a flood of PASV without transfers never holds more than one port per session', async (t) => {
  const range = await reserveRange(3);
  const { port } = await startTestServer(t, { passivePortRange: range });
  const flooder = await RawFtpConnection.login(t, port);
  for (let index = 0; index < 200; index++) await flooder.expect('PASV', 227);
  const others = [await RawFtpConnection.login(t, port), await RawFtpConnection.login(t, port)];
  for (const other of others) await other.expect('PASV', 227);
});

test('advertises the configured passive address in 227 replies', async (t) => {
  const { port } = await startTestServer(t, { advertisedAddress: '203.0.113.7' });
  const connection = await RawFtpConnection.login(t, port);
  assert.equal(parsePasvReplyText((await connection.expect('PASV', 227)).lines[0]!).host, '203.0.113.7');
});

test('makes active connections from the configured data port', async (t) => {
  const dataRange = await reserveRange(1);
  const { port } = await startTestServer(t, { activeDataPort: dataRange.min });
  const connection = await RawFtpConnection.login(t, port);
  const { accepted } = await connection.openActive(t, 'PORT');
  connection.write('NLST\r\n');
  const socket = await accepted;
  assert.equal(socket.remotePort, dataRange.min);
});
