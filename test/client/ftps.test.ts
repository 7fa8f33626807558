/**
 * FTPS (RFC 4217) client specifications against real servers, with a certificate made at test
 * time: Debian's vsftpd 3.0.3 explicit and implicit (require_ssl_reuse=YES, TLS forced for login
 * and data), pyftpdlib's TLS_FTPHandler (explicit only; it has no implicit mode), and Ferry's own
 * server explicit and implicit (requireSessionReuse, TLS required for login and data). The whole
 * client specification (list, get, put, ASCII, abort, resume both ways, mirror; every transfer
 * checked by size and SHA-256) runs over TLS 1.3 and TLS 1.2, passive and active; then the TLS
 * behaviour itself: versions, certificate verification, refusals.
 */
import { describe, it, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { SecureVersion } from 'node:tls';
import { FtpClient, type FtpClientOptions } from '../../src/client/ftp-client.js';
import { FtpTlsError } from '../../src/client/errors.js';
import type { FtpSecurity } from '../../src/client/tls-settings.js';
import { describeClientAgainst, type ClientVariant } from './support/client-contract.js';
import { createTestCertificate, isOpensslAvailable, type TestCertificate } from './support/test-certificate.js';
import { isVsftpdAvailable, startVsftpd } from './support/vsftpd.js';
import { isPyftpdlibTlsAvailable, startPyftpdlib } from './support/pyftpdlib.js';
import { startFerryServer } from './support/ferry-server.js';
import type { FtpTestServer } from './support/ftp-test-server.js';
import { bufferDigest, randomContent } from './support/file-checks.js';

const certificate: TestCertificate | null = isOpensslAvailable() ? await createTestCertificate() : null;
after(() => certificate?.remove());

/** The contract's variants over FTPS: TLS 1.3 and 1.2 each in both data modes. */
function ftpsVariants(secure: Exclude<FtpSecurity, false>, ca: string): ClientVariant[] {
  const variant = (maxVersion: SecureVersion, label: string, options: FtpClientOptions): ClientVariant => ({
    label: `${secure} FTPS, ${maxVersion}, ${label}`,
    options: { ...options, secure, tls: { ca, maxVersion } },
  });
  return [
    variant('TLSv1.3', 'passive (EPSV)', { dataMode: 'passive' }),
    variant('TLSv1.2', 'passive (PASV only)', { dataMode: 'passive', usesEpsv: false }),
    variant('TLSv1.3', 'active (EPRT)', { dataMode: 'active' }),
    variant('TLSv1.2', 'active (PORT only)', { dataMode: 'active', usesEprt: false }),
  ];
}

type Start = (host: string) => Promise<FtpTestServer>;

/** The TLS behaviour itself against one server started by `start`. */
function describeTlsAgainst(serverName: string, secure: Exclude<FtpSecurity, false>, start: Start, ca: string): void {
  describe(`FTPS behaviour against ${serverName} (${secure})`, () => {
    let server: FtpTestServer;
    const clients: FtpClient[] = [];
    before(async () => {
      server = await start('127.0.0.1');
    });
    after(async () => {
      for (const client of clients) await client.close();
      await server?.stop();
    });
    const connect = async (options: FtpClientOptions, host = server.host): Promise<FtpClient> => {
      const client = new FtpClient({ secure, replyTimeoutMs: 10_000, dataTimeoutMs: 10_000, ...options });
      clients.push(client);
      await client.connect({ host, port: server.port, user: server.user, password: server.password });
      return client;
    };
    const roundTrip = async (client: FtpClient, name: string): Promise<void> => {
      const content = randomContent(256 * 1024 + 7);
      const remotePath = `${server.writableDir.replace(/\/$/, '')}/${name}`;
      await client.upload(Readable.from([content]), remotePath);
      const chunks: Buffer[] = [];
      await client.download(remotePath, collect(chunks));
      assert.deepEqual(bufferDigest(Buffer.concat(chunks)), bufferDigest(content));
    };

    it('negotiates TLS 1.3 by default and moves data byte-exact over resumed sessions', async () => {
      const client = await connect({ tls: { ca } });
      assert.equal(client.tlsProtocol, 'TLSv1.3');
      // Several data connections in a row: each must resume (servers here refuse one that does not).
      for (let index = 0; index < 4; index++) await roundTrip(client, `tls13-${index}.bin`);
    });

    it('negotiates TLS 1.2 when maxVersion is TLSv1.2', async () => {
      const client = await connect({ tls: { ca, maxVersion: 'TLSv1.2' } });
      assert.equal(client.tlsProtocol, 'TLSv1.2');
      for (let index = 0; index < 3; index++) await roundTrip(client, `tls12-${index}.bin`);
    });

    it('negotiates TLS 1.3 when minVersion is TLSv1.3, in active mode', async () => {
      const client = await connect({ dataMode: 'active', tls: { ca, minVersion: 'TLSv1.3' } });
      assert.equal(client.tlsProtocol, 'TLSv1.3');
      await roundTrip(client, 'tls13-active.bin');
    });

    it('uploads empty files from two clients at once, each closed with close_notify', async () => {
      // Regression: ending the TLS data socket in the tick its handshake finished lost the
      // close_notify (vsftpd: 426 Failure reading network stream; pyftpdlib: no reply at all).
      const directory = server.writableDir.replace(/\/$/, '');
      const emptyFile = join(await mkdtemp(join(tmpdir(), 'ferry-ftps-')), 'empty.dat');
      await writeFile(emptyFile, '');
      await Promise.all(
        [0, 1].map(async (worker) => {
          const client = await connect({ tls: { ca, maxVersion: worker === 0 ? 'TLSv1.2' : 'TLSv1.3' } });
          for (let index = 0; index < 25; index++) {
            const result = await client.upload(emptyFile, `${directory}/empty-${worker}-${index}.dat`);
            assert.equal(result.reply?.replyCode, 226);
          }
          assert.equal(await client.size(`${directory}/empty-${worker}-24.dat`), 0);
        }),
      );
      await rm(join(emptyFile, '..'), { recursive: true, force: true });
    });

    it('refuses the self-signed certificate by default with FtpTlsError naming the problem', async () => {
      await assert.rejects(connect({}), (error: unknown) => {
        assert.ok(error instanceof FtpTlsError, String(error));
        assert.equal(error.code, 'ERR_FTP_TLS');
        assert.equal(error.tlsCode, 'DEPTH_ZERO_SELF_SIGNED_CERT');
        assert.match(error.message, /not trusted: self[- ]signed certificate/);
        return true;
      });
    });

    it('refuses a trusted certificate issued for another name', async () => {
      await assert.rejects(connect({ tls: { ca, servername: 'ftp.example.org' } }), (error: unknown) => {
        assert.ok(error instanceof FtpTlsError, String(error));
        assert.equal(error.tlsCode, 'ERR_TLS_CERT_ALTNAME_INVALID');
        return true;
      });
    });

    it('verifies the name "localhost" when connecting by name', async () => {
      const client = await connect({ tls: { ca } }, 'localhost');
      await roundTrip(client, 'by-name.bin');
    });

    it('skips verification with rejectUnauthorized: false (for testing)', async () => {
      const client = await connect({ tls: { rejectUnauthorized: false } });
      await roundTrip(client, 'insecure.bin');
    });
  });
}

function collect(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
}

if (!certificate) {
  test('FTPS specifications need /usr/bin/openssl to make a certificate', { skip: 'openssl not available' }, () => undefined);
} else {
  const { certFile, keyFile, certPem: ca } = certificate;

  if (!isVsftpdAvailable()) {
    test('FTPS against vsftpd needs /usr/sbin/vsftpd and root', { skip: 'vsftpd not available' }, () => undefined);
  } else {
    const explicitVsftpd: Start = (host) => startVsftpd(host, { certFile, keyFile });
    const implicitVsftpd: Start = (host) => startVsftpd(host, { certFile, keyFile, isImplicit: true });
    describeClientAgainst('vsftpd (explicit FTPS)', '127.0.0.1', explicitVsftpd, ftpsVariants('explicit', ca));
    describeClientAgainst('vsftpd (implicit FTPS)', '127.0.0.1', implicitVsftpd, ftpsVariants('implicit', ca));
    describeClientAgainst('vsftpd (explicit FTPS)', '::1', explicitVsftpd, ftpsVariants('explicit', ca).filter((variant) => !variant.label.includes('only')));
    describeTlsAgainst('vsftpd', 'explicit', explicitVsftpd, ca);
    describeTlsAgainst('vsftpd', 'implicit', implicitVsftpd, ca);

    describe('explicit FTPS against a vsftpd without TLS', () => {
      let server: FtpTestServer;
      before(async () => {
        server = await startVsftpd('127.0.0.1');
      });
      after(() => server?.stop());

      it('fails with FtpTlsError when AUTH TLS is refused, and never logs in in clear text', async () => {
        const client = new FtpClient({ secure: 'explicit', tls: { ca } });
        await assert.rejects(client.connect({ host: server.host, port: server.port }), (error: unknown) => {
          assert.ok(error instanceof FtpTlsError, String(error));
          assert.match(error.message, /refused AUTH TLS/);
          return true;
        });
        assert.equal(client.isConnected, false);
      });
    });
  }

  if (!isPyftpdlibTlsAvailable()) {
    test('FTPS against pyftpdlib needs python3-pyftpdlib and python3-openssl', { skip: 'pyftpdlib TLS not available' }, () => undefined);
  } else {
    const tlsPyftpdlib: Start = (host) => startPyftpdlib(host, { certFile, keyFile });
    describeClientAgainst('pyftpdlib (explicit FTPS)', '127.0.0.1', tlsPyftpdlib, ftpsVariants('explicit', ca));
    describeTlsAgainst('pyftpdlib', 'explicit', tlsPyftpdlib, ca);
  }

  const explicitFerry: Start = (host) => startFerryServer(host, { certFile, keyFile });
  const implicitFerry: Start = (host) => startFerryServer(host, { certFile, keyFile, isImplicit: true });
  describeClientAgainst('ferry (explicit FTPS)', '127.0.0.1', explicitFerry, ftpsVariants('explicit', ca));
  describeClientAgainst('ferry (implicit FTPS)', '127.0.0.1', implicitFerry, ftpsVariants('implicit', ca));
  describeClientAgainst('ferry (explicit FTPS)', '::1', explicitFerry, ftpsVariants('explicit', ca).filter((variant) => !variant.label.includes('only')));
  describeTlsAgainst('ferry', 'explicit', explicitFerry, ca);
  describeTlsAgainst('ferry', 'implicit', implicitFerry, ca);
}
