import assert from 'node:assert/strict';
import { passiveDescriptorsTaken } from '../../src/server/data/data-channel.js';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { generate } from 'selfsigned';
import { sessionNotResumedText } from '../../src/server/tls/data-tls.js';
import { pooledBufferCount, trimBufferPool } from '../../src/file-io/transfer-buffer-pool.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { readAll, RawFtpConnection, writeAndEnd } from '../helpers/raw-ftp.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';
import type { FtpServerOptions } from '../../src/server/ftp-server.js';
import { FtpsConnection, makeCertificate } from './ftps-connection.js';
import { randomBytes } from 'node:crypto';
import { SessionResumption } from '../../src/server/tls/session-resumption.js';
import { TlsCertificateStore } from '../../src/server/tls/tls-context.js';

type TlsSettings = NonNullable<FtpServerOptions['tls']>;

/** A server with a fresh certificate; `tls` settings are merged in. */
async function startFtpsServer(t: TestContext, tls: TlsSettings = {}, options: FtpServerOptions = {}) {
  const certificate = await makeCertificate(t);
  const started = await startTestServer(t, { ...options, tls: { certFile: certificate.certFile, keyFile: certificate.keyFile, ...tls } });
  return { ...started, certificate };
}

const tlsVersions = ['TLSv1.2', 'TLSv1.3'] as const;

/** A self-signed certificate for TLS client authentication (extKeyUsage clientAuth). */
async function makeClientCertificate(commonName: string): Promise<{ certPem: string; keyPem: string }> {
  const result = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'extKeyUsage', clientAuth: true }],
  });
  return { certPem: result.cert, keyPem: result.private };
}

test('FEAT advertises AUTH TLS, PBSZ and PROT only when a certificate is configured', async (t) => {
  const plain = await startTestServer(t);
  const secure = await startFtpsServer(t);
  const { connection: plainConnection } = await RawFtpConnection.open(t, plain.port);
  const plainFeatures = (await plainConnection.expect('FEAT', 211)).lines.map((line) => line.trim());
  for (const line of ['AUTH TLS', 'PBSZ', 'PROT']) assert.ok(!plainFeatures.includes(line), line);
  const { connection } = await FtpsConnection.open(t, secure.port);
  const features = (await connection.expect('FEAT', 211)).lines.map((line) => line.trim());
  for (const line of ['AUTH TLS', 'PBSZ', 'PROT']) assert.ok(features.includes(line), line);
});

test('refuses AUTH TLS with 502 when TLS is not configured, and PBSZ/PROT/CCC with 503', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  assert.match((await connection.expect('AUTH TLS', 502)).lines.join(' '), /not configured/);
  await connection.expect('PBSZ 0', 503);
  await connection.expect('PROT P', 503);
  await connection.expect('CCC', 503);
});

for (const verb of ['AUTH TLS', 'AUTH SSL', 'AUTH TLS-C', 'auth tls']) {
  test(`upgrades the control connection after "${verb}" and refuses a second AUTH with 503`, async (t) => {
    const { port } = await startFtpsServer(t);
    const { connection } = await FtpsConnection.open(t, port);
    const secure = await connection.startTls(verb);
    assert.ok(secure.encrypted);
    await connection.expect('USER alice', 331);
    await connection.expect('PASS secret', 230);
    await connection.expect('AUTH TLS', 503);
    await connection.expect('PWD', 257);
  });
}

test('refuses AUTH with an unknown mechanism with 504 and stays usable in clear text', async (t) => {
  const { port } = await startFtpsServer(t);
  const { connection } = await FtpsConnection.open(t, port);
  await connection.expect('AUTH GSSAPI', 504);
  await connection.expect('USER alice', 331);
});

test('AUTH TLS logs out: RFC 2228 asks for USER and PASS again', async (t) => {
  const { port } = await startFtpsServer(t);
  const { connection } = await FtpsConnection.open(t, port);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
  await connection.startTls();
  await connection.expect('PWD', 530);
});

test('sequences PBSZ and PROT: PBSZ after AUTH, PROT after PBSZ, S and E unsupported', async (t) => {
  const { port } = await startFtpsServer(t);
  const { connection } = await FtpsConnection.open(t, port);
  await connection.expect('PBSZ 0', 503);
  await connection.expect('PROT P', 503);
  await connection.startTls();
  await connection.expect('PROT P', 503);
  await connection.expect('PBSZ x', 501);
  assert.deepEqual((await connection.expect('PBSZ 0', 200)).lines, ['PBSZ=0']);
  // RFC 4217 §9: a non-zero size is answered with the size the server uses.
  assert.deepEqual((await connection.expect('PBSZ 1024', 200)).lines, ['PBSZ=0']);
  await connection.expect('PROT S', 536);
  await connection.expect('PROT E', 536);
  await connection.expect('PROT X', 504);
  await connection.expect('PROT C', 200);
  await connection.expect('PROT P', 200);
});

test('refuses CCC with 534 after AUTH TLS: the control connection stays encrypted', async (t) => {
  const { port } = await startFtpsServer(t);
  const { connection } = await FtpsConnection.open(t, port);
  await connection.startTls();
  assert.match((await connection.expect('CCC', 534)).lines.join(' '), /stays encrypted/);
  await connection.expect('NOOP', 200);
});

test('closes the session cleanly when the TLS handshake after 234 fails', async (t) => {
  const { port, server } = await startFtpsServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('AUTH TLS', 234);
  connection.write('USER alice\r\nthis is not a ClientHello\r\n');
  await connection.waitForClose();
  while (server.sessionCount > 0) await once(server, 'sessionClosed');
  assert.equal(server.sessionCount, 0);
});

test('tls.requireForLogin answers USER before AUTH TLS with 530 "TLS required" and accepts it after', async (t) => {
  const { port } = await startFtpsServer(t, { requireForLogin: true });
  const { connection } = await FtpsConnection.open(t, port);
  assert.match((await connection.expect('USER alice', 530)).lines.join(' '), /TLS required/);
  await connection.startTls();
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
});

test('a user with requireTls must use TLS even when the server does not require it', async (t) => {
  const { port } = await startFtpsServer(t, {}, {
    users: [
      { name: 'alice', password: 'secret' },
      { name: 'bob', password: 'hunter2', requireTls: true },
    ],
  });
  const { connection } = await FtpsConnection.open(t, port);
  await connection.expect('USER bob', 530);
  await connection.expect('USER alice', 331);
  await connection.startTls();
  await connection.expect('USER bob', 331);
  await connection.expect('PASS hunter2', 230);
});

test('tls.requireForData refuses a PROT C transfer with 522 before 150 and allows it under PROT P', async (t) => {
  const { port, root } = await startFtpsServer(t, { requireForData: true });
  const payload = randomPayload(50_000);
  await writeFile(join(root, 'file.bin'), payload);
  const connection = await FtpsConnection.loginSecure(t, port, { protection: 'C' });
  await connection.expect('TYPE I', 200);
  await connection.prepareData(t, 'PASV', 'clear');
  assert.match((await connection.expect('RETR file.bin', 522)).lines.join(' '), /must be encrypted/);
  await connection.expect('PROT P', 200);
  const data = await connection.prepareData(t, 'PASV', 'resume');
  assert.equal((await connection.send('RETR file.bin')).replyCode, 150);
  const received = await readAll(await data());
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(received), sha256(payload));
});

for (const version of tlsVersions) {
  test(`refuses a PROT P data connection that does a fresh ${version} handshake with 522 "${sessionNotResumedText.split(':')[0]}"`, async (t) => {
    const { port, root } = await startFtpsServer(t);
    await writeFile(join(root, 'file.bin'), randomPayload(1000));
    const connection = await FtpsConnection.loginSecure(t, port, { tls: { minVersion: version, maxVersion: version } });
    const data = await connection.prepareData(t, 'PASV', 'fresh');
    assert.equal((await connection.send('RETR file.bin')).replyCode, 150);
    // With TLS 1.2 the server may close before the client has read its Finished message.
    const socket = await data().catch(() => null);
    const refusal = await connection.nextReply();
    assert.equal(refusal.replyCode, 522);
    assert.equal(refusal.lines.join(' '), sessionNotResumedText);
    if (socket && !socket.destroyed) await once(socket, 'close');
    // The session itself goes on.
    await connection.expect('NOOP', 200);
  });
}

test('refuses a data connection that resumes the TLS session of another control connection', async (t) => {
  const { port, root } = await startFtpsServer(t);
  await writeFile(join(root, 'file.bin'), randomPayload(1000));
  const victim = await FtpsConnection.loginSecure(t, port);
  const attacker = await FtpsConnection.loginSecure(t, port);
  const attackerSession = await attacker.controlSession();
  const passive = await victim.send('PASV');
  const { parsePasvReplyText } = await import('../../src/protocol/data-address.js');
  const dataPort = parsePasvReplyText(passive.lines.join(' ')).port;
  const stolen = connectTls({ host: '127.0.0.1', port: dataPort, session: attackerSession, rejectUnauthorized: false });
  t.after(() => stolen.destroy());
  stolen.on('error', () => stolen.destroy());
  assert.equal((await victim.send('RETR file.bin')).replyCode, 150);
  await once(stolen, 'secureConnect');
  assert.equal(stolen.isSessionReused(), false);
  assert.equal((await victim.nextReply()).replyCode, 522);
});

// Regression (hunt: curl over TLS 1.3 lost every second transfer). A ticket issued on a data
// connection refused for a fresh handshake was honoured on the next one (curl's third transfer
// resumed one), so a stranger who got in first on the passive port could resume it the second
// time; and a resumed data connection was issued no new ticket, which curl needs (it uses a TLS 1.3
// ticket once). Whether a refused connection's ticket reaches the client is a race, so this drives
// the ticket key callback OpenSSL calls (name, iv, isEncrypting) the way the handshakes do.
test('honours tickets of the control connection and of resumed data connections only, renewing them on downloads', async (t) => {
  const certificate = await makeCertificate(t);
  const store = await TlsCertificateStore.load({ certFile: certificate.certFile, keyFile: certificate.keyFile, caFile: null, minVersion: 'TLSv1.2' });
  t.after(() => store.close());
  const secureContext = store.createSessionContext();
  const resumption = new SessionResumption();
  assert.equal(resumption.installTicketKeys(secureContext), true, 'this Node has the ticket key callback');
  const callback = (secureContext as unknown as { context: { onticketkeycallback: (name: Buffer, iv: Buffer, isEncrypting: boolean) => [number, ...Buffer[]] } }).context.onticketkeycallback;
  const iv = Buffer.alloc(16);
  const issue = () => callback(Buffer.alloc(16), iv, true)[3]!;
  const open = (name: Buffer) => callback(name, iv, false)[0];

  const control = issue(); // the control handshake, before any data connection
  const download = resumption.beginDataConnection(true);
  assert.equal(open(control), 2, 'resumed and renewed');
  const renewed = issue();
  download.settle(true);
  download.end();
  const upload = resumption.beginDataConnection(false);
  assert.equal(open(renewed), 1, 'resumed, no new ticket: an upload client may never read it');
  upload.settle(true);
  upload.end();

  const stranger = resumption.beginDataConnection(true);
  assert.equal(open(randomBytes(16)), 0, 'an unknown ticket means a full handshake');
  const strangers = issue();
  stranger.settle(false);
  const late = issue(); // written after the refusal, before the socket closed
  stranger.end();
  const next = resumption.beginDataConnection(true);
  assert.equal(open(strangers), 0);
  assert.equal(open(late), 0);
  assert.equal(open(control), 2, 'the control ticket stays good');
  next.settle(true);
  next.end();

  // Two data handshakes in doubt at once cannot be told apart: what they are issued is dropped.
  const first = resumption.beginDataConnection(true);
  const second = resumption.beginDataConnection(true);
  const ambiguous = issue();
  first.settle(true);
  second.settle(true);
  first.end();
  second.end();
  assert.equal(open(ambiguous), 0);
});

test('accepts a fresh data handshake when tls.requireSessionReuse is off', async (t) => {
  const { port, root } = await startFtpsServer(t, { requireSessionReuse: false });
  const payload = randomPayload(10_000);
  await writeFile(join(root, 'file.bin'), payload);
  const connection = await FtpsConnection.loginSecure(t, port);
  await connection.expect('TYPE I', 200);
  const data = await connection.prepareData(t, 'EPSV', 'fresh');
  assert.equal((await connection.send('RETR file.bin')).replyCode, 150);
  const received = await readAll(await data());
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.equal(sha256(received), sha256(payload));
});

for (const version of tlsVersions) {
  for (const mode of ['PASV', 'EPSV', 'PORT', 'EPRT'] as const) {
    test(`downloads and uploads byte-exact over PROT P with ${version} in ${mode} mode, resuming the control session`, async (t) => {
      const { port, root, server } = await startFtpsServer(t);
      const download = randomPayload(2 * 1024 * 1024 + 13);
      const upload = randomPayload(1024 * 1024 + 7);
      await writeFile(join(root, 'down.bin'), download);
      const connection = await FtpsConnection.loginSecure(t, port, { tls: { minVersion: version, maxVersion: version } });
      assert.equal(connection.secureSocket.getProtocol(), version);
      await connection.expect('TYPE I', 200);

      const retrData = await connection.prepareData(t, mode, 'resume');
      assert.equal((await connection.send('RETR down.bin')).replyCode, 150);
      const dataSocket = await retrData();
      assert.ok((dataSocket as import('node:tls').TLSSocket).isSessionReused());
      const received = await readAll(dataSocket);
      assert.equal((await connection.nextReply()).replyCode, 226);
      assert.equal(received.length, download.length);
      assert.equal(sha256(received), sha256(download));

      const uploaded = once(server, 'uploadFinished');
      trimBufferPool();
      trimBufferPool(); // empty: only this upload can put a buffer back
      const storData = await connection.prepareData(t, mode, 'resume');
      assert.equal((await connection.send('STOR up.bin')).replyCode, 150);
      await writeAndEnd(await storData(), upload);
      assert.equal((await connection.nextReply()).replyCode, 226);
      const written = await readFile(join(root, 'up.bin'));
      assert.equal(written.length, upload.length);
      assert.equal(sha256(written), sha256(upload));
      assert.equal(pooledBufferCount(), 1, 'the TLS upload was copied through the pooled receive buffer');
      const [event] = await uploaded;
      assert.equal(event.bytes, upload.length);
    });
  }
}

test('lists a directory over PROT P', async (t) => {
  const { port, root } = await startFtpsServer(t);
  await writeFile(join(root, 'visible.txt'), 'x');
  const connection = await FtpsConnection.loginSecure(t, port);
  const data = await connection.prepareData(t, 'EPSV', 'resume');
  assert.equal((await connection.send('NLST')).replyCode, 150);
  const listing = (await readAll(await data())).toString('utf8');
  assert.equal((await connection.nextReply()).replyCode, 226);
  assert.match(listing, /visible\.txt/);
});

test('refuses a clear data connection under PROT P with 425', async (t) => {
  const { port, root } = await startFtpsServer(t);
  await writeFile(join(root, 'file.bin'), 'x');
  const connection = await FtpsConnection.loginSecure(t, port);
  const taken = passiveDescriptorsTaken();
  const data = await connection.prepareData(t, 'PASV', 'clear');
  assert.equal((await connection.send('RETR file.bin')).replyCode, 150);
  const socket = await data();
  // SECURITY: under PROT P the connection waiting for RETR is never sent to bare (in clear).
  assert.equal(passiveDescriptorsTaken(), taken);
  // A client that expects clear data sends nothing; the server waits for a ClientHello until the
  // client gives up, so end the socket as such a client would.
  socket.end();
  assert.equal((await connection.nextReply()).replyCode, 425);
});

for (const version of tlsVersions) {
  test(`serves implicit FTPS (${version}) on tls.implicitPort with PROT P as the default`, async (t) => {
    const { server, root } = await startFtpsServer(t, { implicitPort: 0 });
    const payload = randomPayload(300_000);
    await writeFile(join(root, 'file.bin'), payload);
    const { connection, greeting } = await FtpsConnection.open(t, server.implicitTlsAddress.port, {
      isImplicit: true,
      tls: { minVersion: version, maxVersion: version },
    });
    assert.equal(greeting.replyCode, 220);
    await connection.expect('AUTH TLS', 503);
    await connection.expect('USER alice', 331);
    await connection.expect('PASS secret', 230);
    await connection.expect('TYPE I', 200);
    // No PBSZ/PROT: protected data is the default on the implicit port.
    const data = await connection.prepareData(t, 'EPSV', 'resume');
    assert.equal((await connection.send('RETR file.bin')).replyCode, 150);
    const received = await readAll(await data());
    assert.equal((await connection.nextReply()).replyCode, 226);
    assert.equal(sha256(received), sha256(payload));
    // Clients that send PBSZ 0 / PROT P anyway are answered as usual.
    await connection.expect('PBSZ 0', 200);
    await connection.expect('PROT P', 200);
  });
}

test('refuses TLS below tls.minVersion', async (t) => {
  const { port } = await startFtpsServer(t, { minVersion: 'TLSv1.3' });
  const { connection } = await FtpsConnection.open(t, port, { tls: { maxVersion: 'TLSv1.2' } });
  await assert.rejects(connection.startTls());
});

test('a new connection gets a reloaded certificate while an open one keeps its own', async (t) => {
  const directory = await makeTempDir(t, 'ferry-ftps-reload-');
  const first = await makeCertificate(t, directory, 'first.example');
  const { port, server } = await startTestServer(t, { tls: { certFile: first.certFile, keyFile: first.keyFile } });
  const before = await FtpsConnection.loginSecure(t, port);
  assert.equal(before.peerCertificate.subject.CN, 'first.example');

  // Replacing the files is noticed by the watcher.
  const reloaded = once(server.tlsCertificates!, 'reload');
  await makeCertificate(t, directory, 'second.example');
  await reloaded;
  const after = await FtpsConnection.loginSecure(t, port);
  assert.equal(after.peerCertificate.subject.CN, 'second.example');

  // The open session still transfers with its original context.
  const data = await before.prepareData(t, 'PASV', 'resume');
  assert.equal((await before.send('LIST')).replyCode, 150);
  await readAll(await data());
  assert.equal((await before.nextReply()).replyCode, 226);

  // An explicit reload (what SIGHUP does) takes effect at once.
  await makeCertificate(t, directory, 'third.example');
  await server.reloadCertificates();
  const third = await FtpsConnection.loginSecure(t, port);
  assert.equal(third.peerCertificate.subject.CN, 'third.example');
});

test('keeps the current certificate when the reloaded files are unusable', async (t) => {
  const directory = await makeTempDir(t, 'ferry-ftps-bad-');
  const certificate = await makeCertificate(t, directory, 'good.example');
  const { port, server } = await startTestServer(t, { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } });
  await writeFile(certificate.keyFile, 'not a key');
  await assert.rejects(server.reloadCertificates(), /unusable TLS certificate/);
  const connection = await FtpsConnection.loginSecure(t, port);
  assert.equal(connection.peerCertificate.subject.CN, 'good.example');
});

test('refuses to start with a TLS policy but no certificate', async (t) => {
  await assert.rejects(startTestServer(t, { tls: { requireForLogin: true } }), /tls\.requireForLogin need tls\.certFile/);
  // Regression: both files missing named the certificate or the key, whichever read failed first.
  for (let attempt = 0; attempt < 20; attempt++) {
    await assert.rejects(startTestServer(t, { tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } }), /cannot read the TLS certificate/);
  }
});

test('tls.requireClientCert accepts a client certificate signed by caFile and refuses a connection without one', async (t) => {
  const client = await makeClientCertificate('client.example');
  const caDirectory = await makeTempDir(t, 'ferry-ftps-ca-');
  // Self-signed: the client certificate is its own CA.
  await writeFile(join(caDirectory, 'ca.pem'), client.certPem);
  const { port } = await startFtpsServer(t, { requireClientCert: true, caFile: join(caDirectory, 'ca.pem') });
  const trusted = await FtpsConnection.loginSecure(t, port, { tls: { cert: client.certPem, key: client.keyPem } });
  await trusted.expect('NOOP', 200);

  const stranger = await makeClientCertificate('stranger.example');
  for (const tls of [{}, { cert: stranger.certPem, key: stranger.keyPem }]) {
    const { connection } = await FtpsConnection.open(t, port, { tls });
    // TLS 1.3 finishes the client's side before the server checks the certificate; the refusal
    // then shows as the connection closing.
    await connection.startTls().then(
      () => connection.waitForClose(),
      () => undefined,
    );
  }
});
