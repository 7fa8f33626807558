/**
 * FTPS against scripted servers that misbehave on purpose: clear-text replies injected behind the
 * 234 (the STARTTLS injection bug, CVE-2011-0411), a refused PROT P, and a clear-text server
 * reached as implicit FTPS. Each must fail with a typed error and never fall back to clear text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createInterface } from 'node:readline';
import { FtpClient } from '../../src/client/ftp-client.js';
import { FtpProtocolError, FtpTlsError } from '../../src/client/errors.js';
import { createTestCertificate, isOpensslAvailable, type TestCertificate } from './support/test-certificate.js';

type Script = (socket: Socket, line: string, upgrade: () => Socket) => void;

/** A server that answers each command line through `script`; `upgrade` turns the socket into TLS. */
async function scriptedServer(certificate: TestCertificate, script: Script): Promise<{ server: Server; port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = createServer((plain) => {
    plain.on('error', () => undefined);
    let socket: Socket = plain;
    const listen = (current: Socket) => {
      const lines = createInterface({ input: current });
      lines.on('line', (line) => {
        commands.push(line);
        script(current, line, () => {
          lines.close();
          const secure = new TLSSocket(plain, { isServer: true, key: certificate.keyPem, cert: certificate.certPem });
          secure.on('error', () => undefined);
          socket = secure;
          listen(secure);
          return secure;
        });
      });
    };
    listen(socket);
    plain.write('220 scripted\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port, commands };
}

describe('FTPS against hostile scripted servers', { skip: !isOpensslAvailable() && 'openssl not available' }, () => {
  let certificate: TestCertificate;
  const servers: Server[] = [];
  before(async () => {
    certificate = await createTestCertificate();
  });
  after(async () => {
    for (const server of servers) server.close();
    await certificate?.remove();
  });

  it('refuses clear-text replies sent behind the 234 before the handshake (STARTTLS injection)', async () => {
    const { server, port, commands } = await scriptedServer(certificate, (socket, line) => {
      if (line === 'AUTH TLS') socket.write('234 go ahead\r\n230 injected login\r\n');
    });
    servers.push(server);
    const client = new FtpClient({ secure: 'explicit', tls: { ca: certificate.certPem }, replyTimeoutMs: 2000 });
    await assert.rejects(client.connect({ host: '127.0.0.1', port }), (error: unknown) => {
      assert.ok(error instanceof FtpProtocolError, String(error));
      assert.match(error.message, /clear-text data after 234/);
      return true;
    });
    assert.deepEqual(commands, ['AUTH TLS'], 'nothing, least of all USER/PASS, is sent after the injection');
  });

  it('fails with FtpTlsError when the server refuses PROT P, instead of moving data in clear text', async () => {
    const { server, port, commands } = await scriptedServer(certificate, (socket, line, upgrade) => {
      if (line === 'AUTH TLS') {
        socket.write('234 go ahead\r\n');
        upgrade();
      } else if (line.startsWith('USER')) socket.write('230 welcome\r\n');
      else if (line === 'PBSZ 0') socket.write('200 PBSZ=0\r\n');
      else if (line === 'PROT P') socket.write('536 private data connections not offered\r\n');
      else socket.write('500 unexpected\r\n');
    });
    servers.push(server);
    const client = new FtpClient({ secure: 'explicit', tls: { ca: certificate.certPem }, replyTimeoutMs: 2000 });
    await assert.rejects(client.connect({ host: '127.0.0.1', port, user: 'u' }), (error: unknown) => {
      assert.ok(error instanceof FtpTlsError, String(error));
      assert.match(error.message, /refused to protect data connections \(536 /);
      return true;
    });
    assert.deepEqual(commands, ['AUTH TLS', 'USER u', 'PBSZ 0', 'PROT P']);
  });

  it('fails with FtpTlsError when implicit FTPS reaches a clear-text server', async () => {
    const { server, port } = await scriptedServer(certificate, () => undefined);
    servers.push(server);
    const client = new FtpClient({ secure: 'implicit', tls: { ca: certificate.certPem }, connectTimeoutMs: 2000 });
    await assert.rejects(client.connect({ host: '127.0.0.1', port }), (error: unknown) => {
      assert.ok(error instanceof FtpTlsError, String(error));
      assert.match(error.message, /TLS handshake on the control connection to 127\.0\.0\.1:\d+ failed/);
      return true;
    });
  });
});
