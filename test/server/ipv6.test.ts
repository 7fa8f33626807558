import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePasvReplyText } from '../../src/protocol/data-address.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll, writeAndEnd } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

test('serves IPv6 clients over EPSV and EPRT on ::1', async (t) => {
  const { port, root } = await startTestServer(t, { host: '::1' });
  const payload = randomPayload(1024 * 1024 + 3);
  await writeFile(join(root, 'v6.bin'), payload);
  const connection = await RawFtpConnection.login(t, port, 'alice', 'secret', '::1');
  await connection.expect('TYPE I', 200);
  let data = await connection.openPassive(t, 'EPSV');
  connection.write('RETR v6.bin\r\n');
  await connection.nextReply();
  assert.equal(sha256(await readAll(data)), sha256(payload));
  assert.equal((await connection.nextReply()).replyCode, 226);

  const { accepted } = await connection.openActive(t, 'EPRT');
  connection.write('STOR back.bin\r\n');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await writeAndEnd(await accepted, payload);
  assert.equal((await connection.nextReply()).replyCode, 226);
  data = await connection.openPassive(t, 'EPSV');
  connection.write('RETR back.bin\r\n');
  await connection.nextReply();
  assert.equal(sha256(await readAll(data)), sha256(payload));
  assert.equal((await connection.nextReply()).replyCode, 226);
});

test('refuses PASV and PORT on an IPv6 control connection, which cannot carry IPv6 addresses', async (t) => {
  const { port } = await startTestServer(t, { host: '::1' });
  const connection = await RawFtpConnection.login(t, port, 'alice', 'secret', '::1');
  await connection.expect('PASV', 425);
  await connection.expect('PORT 127,0,0,1,200,1', 500);
  await connection.expect('EPRT |1|127.0.0.1|51200|', 522);
  await connection.expect('EPSV 1', 522);
  await connection.expect('EPSV 2', 229);
});

test('a dual-stack listener advertises plain IPv4 to IPv4 clients', async (t) => {
  const { port } = await startTestServer(t, { host: '::' });
  const connection = await RawFtpConnection.login(t, port, 'alice', 'secret', '127.0.0.1');
  const reply = await connection.expect('PASV', 227);
  assert.equal(parsePasvReplyText(reply.lines[0]!).host, '127.0.0.1');
  const v6 = await RawFtpConnection.login(t, port, 'alice', 'secret', '::1');
  await v6.expect('EPSV', 229);
});
