import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

test('reassembles a command split across TCP segments', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  for (const piece of ['US', 'ER al', 'ice\r', '\n']) {
    connection.write(piece);
    await delay(20);
  }
  assert.equal((await connection.nextReply()).replyCode, 331);
});

test('answers several commands sent in one segment, in order', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  connection.write('USER alice\r\nPASS secret\r\nPWD\r\nSYST\r\nNOOP\r\n');
  const codes = [];
  for (let index = 0; index < 5; index++) codes.push((await connection.nextReply()).replyCode);
  assert.deepEqual(codes, [331, 230, 257, 215, 200]);
});

test('tolerates bare LF line ends', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  connection.write('USER alice\nPASS secret\n');
  assert.equal((await connection.nextReply()).replyCode, 331);
  assert.equal((await connection.nextReply()).replyCode, 230);
});

test('strips Telnet IP/DM before ABOR', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  connection.write(Buffer.concat([Buffer.from([0xff, 0xf4, 0xff, 0xf2]), Buffer.from('ABOR\r\n')]));
  assert.equal((await connection.nextReply()).replyCode, 225);
});

test('answers an unknown command with 500 and an unimplemented RFC command with 502', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('FROB', 500);
  await connection.expect('SMNT /x', 502);
  await connection.expect('NOOP', 200);
});

test('answers a line over 4096 bytes with 500 and keeps the session usable', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  connection.write(`NOOP ${'x'.repeat(5000)}\r\n`);
  assert.equal((await connection.nextReply()).replyCode, 500);
  await connection.expect('PWD', 257);
});

test('answers a 1 MB line without CRLF before it ends and closes after repeated abuse', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  connection.write('A'.repeat(1024 * 1024));
  assert.equal((await connection.nextReply()).replyCode, 500);
  connection.write('\r\n' + 'B'.repeat(5000) + '\r\n' + 'C'.repeat(5000) + '\r\n');
  assert.equal((await connection.nextReply()).replyCode, 500);
  assert.equal((await connection.nextReply()).replyCode, 421);
  await connection.waitForClose();
});

test('survives binary garbage and still answers', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  const garbage = Buffer.alloc(3000);
  for (let index = 0; index < garbage.length; index++) garbage[index] = (index * 7919) & 0xff;
  connection.write(garbage);
  connection.write('\r\nNOOP\r\n');
  let reply = await connection.nextReply();
  while (reply.replyCode !== 200) reply = await connection.nextReply();
  assert.equal(reply.replyCode, 200);
});

test('closes an idle session with 421', async (t) => {
  const { port } = await startTestServer(t, { limits: { idleTimeoutMs: 200 } });
  const { connection } = await RawFtpConnection.open(t, port);
  assert.equal((await connection.nextReply()).replyCode, 421);
  await connection.waitForClose();
});

test('QUIT replies 221 and closes', async (t) => {
  const { port, server } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  const closed = once(server, 'sessionClosed');
  await connection.expect('QUIT', 221);
  await connection.waitForClose();
  const [event] = await closed;
  assert.equal(event.username, 'alice');
});

test('a client that half-closes without QUIT ends its session, whether idle or with commands still queued', async (t) => {
  const { port, server } = await startTestServer(t);
  const idle = await RawFtpConnection.login(t, port);
  const idleClosed = once(server, 'sessionClosed');
  idle.socket.end(); // FIN, no QUIT
  await idle.waitForClose();
  const [idleEvent] = await idleClosed;
  assert.equal(idleEvent.reason, 'client closed the connection');
  assert.equal(idleEvent.username, 'alice');

  const busy = await RawFtpConnection.login(t, port);
  const busyClosed = once(server, 'sessionClosed');
  busy.socket.end('NOOP\r\nPWD\r\nSYST\r\n');
  await busy.waitForClose();
  const [busyEvent] = await busyClosed;
  assert.equal(busyEvent.reason, 'client closed the connection');
  // Ids are the server's prefix and a number that grows per session.
  const [prefix, first] = idleEvent.sessionId.split('-');
  assert.match(idleEvent.sessionId, /^[0-9a-f]{6}-\d+$/);
  assert.equal(busyEvent.sessionId, `${prefix}-${Number(first) + 1}`);
  assert.equal(server.sessionCount, 0);
});

test('refuses connections beyond the per-IP limit with 421 and keeps the others', async (t) => {
  const { port } = await startTestServer(t, { limits: { maxSessionsPerIp: 2 } });
  const first = await RawFtpConnection.login(t, port);
  await RawFtpConnection.open(t, port);
  const { greeting } = await RawFtpConnection.open(t, port);
  assert.equal(greeting.replyCode, 421);
  await first.expect('NOOP', 200);
});

/** A raw control connection that does not read (yet): what a client flooding commands looks like. */
async function openUnreadConnection(t: TestContext, port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.pause();
  return socket;
}

test('a client that sends commands and never reads the replies is not read further (replies stay bounded)', async (t) => {
  // Regression: every reply was buffered in the server; a NOOP flood grew the process by 1 GB in 15 s.
  const { port, server } = await startTestServer(t);
  // The server's end of the control connection, to look at what it buffers and reads.
  const serverSockets: Socket[] = [];
  const onConnection = server.onConnection.bind(server);
  server.onConnection = (socket, ...rest) => {
    serverSockets.push(socket);
    onConnection(socket, ...rest);
  };
  const flooder = await openUnreadConnection(t, port);
  const piece = Buffer.alloc(64 * 1024 - 4, 'NOOP\r\n');
  for (let index = 0; index < 256; index++) flooder.write(piece);
  // Once its reply limit and the kernel's socket buffers are full the server stops reading; without
  // backpressure it goes on reading and buffering replies (MBs within these seconds).
  const serverSocket = serverSockets[0]!;
  let bytesRead = -1;
  for (let round = 0; round < 10 && serverSocket.bytesRead !== bytesRead; round++) {
    bytesRead = serverSocket.bytesRead;
    await delay(1000);
  }
  assert.equal(serverSocket.bytesRead, bytesRead, 'the server kept reading');
  assert.ok(serverSocket.writableLength <= 64 * 1024 + 100, `server buffers ${serverSocket.writableLength} reply bytes`);
  const other = await RawFtpConnection.login(t, port);
  await other.expect('NOOP', 200);
  flooder.destroy();
  for (let round = 0; round < 100 && server.sessionCount > 1; round++) await delay(20);
  assert.equal(server.sessionCount, 1);
});

test('a client that pipelines many commands and reads the replies late gets every reply, in order', async (t) => {
  const { port } = await startTestServer(t);
  const client = await openUnreadConnection(t, port);
  const count = 100_000;
  client.write('NOOP\r\n'.repeat(count) + 'SYST\r\n');
  await delay(500); // the server fills its reply limit and waits for the client to read
  client.resume();
  let text = '';
  client.setEncoding('latin1');
  for await (const chunk of client) {
    text += chunk as string;
    if (text.includes('\r\n215 ')) break;
  }
  const codes = text.trimEnd().split('\r\n').map((line) => line.slice(0, 3));
  assert.equal(codes[0], '220');
  assert.equal(codes.filter((code) => code === '200').length, count);
  assert.equal(codes.at(-1), '215');
  assert.equal(codes.length, count + 2);
});
