import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePasvReplyText } from '../../src/protocol/data-address.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll } from '../helpers/raw-ftp.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';
import { nativePassiveSockets, setNativePassiveSocketsEnabledForTest } from '../../src/native/native-addon.js';
import { passiveDescriptorsTaken } from '../../src/server/data/data-channel.js';

/** Whether the helper's bare passive ports are built here (Linux, native helper). */
function isNativePassiveAvailable(): boolean {
  return nativePassiveSockets() !== null;
}

function connectFrom(t: Parameters<typeof startTestServer>[0], localAddress: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    t.after(() => socket.destroy());
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('refuses PORT to another IP address with 500 (FTP bounce, RFC 2577)', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('PORT 127,0,0,2,200,10', 500);
  await connection.expect('PORT 10,1,2,3,200,10', 500);
  await connection.expect('EPRT |1|127.0.0.2|51210|', 500);
  // The refused target is not remembered: a transfer now has no data connection.
  await connection.expect('LIST', 425);
});

test('refuses PORT and EPRT to a privileged port with 500', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('PORT 127,0,0,1,0,25', 500);
  await connection.expect('EPRT |1|127.0.0.1|22|', 500);
});

test('allows foreign and privileged active targets only when configured', async (t) => {
  const { port } = await startTestServer(t, { allowsForeignDataPeer: true, allowsPrivilegedDataPort: true });
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('PORT 127,0,0,2,0,25', 200);
});

test('rejects malformed PORT and EPRT arguments with 501 and unsupported families with 522', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  for (const argument of ['1,2,3', '256,0,0,1,4,1', '127,0,0,1,4', 'a,b,c,d,e,f', '127,0,0,1,0,0']) {
    await connection.expect(`PORT ${argument}`, 501);
  }
  await connection.expect('EPRT |1|::1|5000|', 501);
  await connection.expect('EPRT |3|127.0.0.1|5000|', 522);
  await connection.expect('EPRT |2|::1|5000|', 522);
  await connection.expect('EPSV 2', 522);
  await connection.expect('EPSV 7', 501);
});

// With the native helper the port is a bare descriptor and strangers wait in its backlog until the
// transfer (as vsftpd accepts only then); with Node's server they are dropped when they connect.
for (const isNative of [true, false]) {
  test(`ignores a passive connection from another IP and still serves the real client (${isNative ? 'native port' : 'net.Server'})`, async (t) => {
    setNativePassiveSocketsEnabledForTest(isNative);
    t.after(() => setNativePassiveSocketsEnabledForTest(true));
    const { port, root } = await startTestServer(t);
    const payload = randomPayload(500000);
    await writeFile(join(root, 'secret.bin'), payload);
    const connection = await RawFtpConnection.login(t, port);
    await connection.expect('TYPE I', 200);
    const pasv = await connection.expect('PASV', 227);
    const dataPort = parsePasvReplyText(pasv.lines[0]!).port;
    // The attacker (127.0.0.2) races to the port first: it must be dropped without data.
    const intruder = await connectFrom(t, '127.0.0.2', dataPort);
    const stolen = readAll(intruder);
    const victim = await connectFrom(t, '127.0.0.1', dataPort);
    const taken = passiveDescriptorsTaken();
    connection.write('RETR secret.bin\r\n');
    assert.equal((await connection.nextReply()).replyCode, 150);
    const received = await readAll(victim);
    assert.equal((await connection.nextReply()).replyCode, 226);
    assert.equal(sha256(received), sha256(payload));
    assert.equal((await stolen).length, 0);
    assert.equal(passiveDescriptorsTaken() - taken, isNative && isNativePassiveAvailable() ? 1 : 0);
  });
}

test('never lets a path climb above the root with .. or absolute paths', async (t) => {
  const outside = await makeTempDir(t);
  await writeFile(join(outside, 'outside.txt'), 'private');
  const root = join(outside, 'root');
  await mkdir(root);
  await writeFile(join(root, 'inside.txt'), 'public');
  const { port } = await startTestServer(t, { root });
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('SIZE ../outside.txt', 550);
  await connection.expect('SIZE ../../../../outside.txt', 550);
  await connection.expect(`SIZE ${outside}/outside.txt`, 550);
  await connection.expect('CWD ../..', 250);
  assert.match((await connection.expect('PWD', 257)).lines[0]!, /^"\/"/);
  await connection.expect('SIZE inside.txt', 213);
  await connection.expect('SIZE /../inside.txt', 213);
});

test('refuses to follow a symlink that points outside the root, for every operation', async (t) => {
  const outside = await makeTempDir(t);
  await writeFile(join(outside, 'target.txt'), 'private');
  const root = join(outside, 'root');
  await mkdir(root);
  await symlink(join(outside, 'target.txt'), join(root, 'file-link'));
  await symlink(outside, join(root, 'dir-link'));
  const { port } = await startTestServer(t, { root });
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('SIZE file-link', 550);
  await connection.expect('CWD dir-link', 550);
  await connection.expect('SIZE dir-link/target.txt', 550);
  await connection.expect('DELE dir-link/target.txt', 550);
  await connection.expect('RNFR dir-link/target.txt', 550);
  await connection.expect('MKD dir-link/new', 550);
  await connection.openPassive(t);
  await connection.expect('RETR file-link', 550);
  await connection.openPassive(t);
  const reply = await connection.expect('STOR dir-link/evil.txt', 550);
  assert.doesNotMatch(reply.lines.join(' '), new RegExp(outside));
  assert.equal(await readFile(join(outside, 'target.txt'), 'utf8'), 'private');
});

test('error replies never reveal real paths or OS error text', async (t) => {
  const { port, root } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  for (const line of ['SIZE nope', 'CWD nope', 'DELE nope', 'RMD nope', 'RNFR nope', 'MKD a/b/c', 'MDTM nope']) {
    const reply = await connection.send(line);
    const text = reply.lines.join(' ');
    assert.ok(!text.includes(root), `${line} leaked the root: ${text}`);
    assert.doesNotMatch(text, /ENOENT|EACCES|errno|\/tmp/);
  }
});

test('a read-only account cannot write even with a valid login', async (t) => {
  const { port, root } = await startTestServer(t, { users: [{ name: 'reader', password: 'pw', permissions: ['list', 'read'] }] });
  await writeFile(join(root, 'f.txt'), 'x');
  const connection = await RawFtpConnection.login(t, port, 'reader', 'pw');
  await connection.expect('STOR g.txt', 550);
  await connection.expect('DELE f.txt', 550);
  await connection.expect('RNFR f.txt', 550);
  await connection.expect('MKD d', 550);
  await connection.expect('MFMT 20200101000000 f.txt', 550);
  await connection.expect('SIZE f.txt', 213);
});

test('EPSV ALL locks the session to EPSV', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('EPSV ALL', 200);
  await connection.expect('PASV', 503);
  await connection.expect('PORT 127,0,0,1,200,1', 503);
  await connection.expect('EPSV', 229);
});

test('reads an unspecified EPRT/PORT address as the client itself (lftp on loopback), never as another host', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  const listener = (await import('node:net')).createServer();
  t.after(() => listener.close());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const listenPort = (listener.address() as import('node:net').AddressInfo).port;
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  await connection.expect(`EPRT |1|0.0.0.0|${listenPort}|`, 200);
  connection.write('NLST\r\n');
  const socket = await accepted;
  t.after(() => socket.destroy());
  assert.equal(socket.remoteAddress, '127.0.0.1');
  assert.equal((await connection.nextReply()).replyCode, 150);
  await readAll(socket);
  assert.equal((await connection.nextReply()).replyCode, 226);
  await connection.expect('PORT 0,0,0,0,0,25', 500);
});
