/**
 * `ferry` client commands over FTPS, run as a child process: ftps:// URLs (implicit FTPS) against
 * vsftpd's implicit_ssl, `--tls` (explicit AUTH TLS) against Ferry's server, `--ca` to trust the
 * self-signed test certificate, `--insecure`, and the refusals; transfers checked by SHA-256.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isVsftpdAvailable, startVsftpd } from './support/vsftpd.js';
import { startFerryServer } from './support/ferry-server.js';
import { createTestCertificate, isOpensslAvailable, type TestCertificate } from './support/test-certificate.js';
import type { FtpTestServer } from './support/ftp-test-server.js';
import { bufferDigest, fileDigest, randomContent } from './support/file-checks.js';

const isSource = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL(`./support/ferry-cli.${isSource ? 'ts' : 'js'}`, import.meta.url));
const nodeArguments = isSource ? ['--import', import.meta.resolve('tsx')] : [];

interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function ferry(args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArguments, entry, ...args], { cwd, env: { ...process.env, HOME: cwd } }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('ferry client commands over FTPS', { skip: !isOpensslAvailable() && 'openssl not available' }, () => {
  let certificate: TestCertificate;
  let work: string;
  before(async () => {
    certificate = await createTestCertificate();
    work = await mkdtemp(join(tmpdir(), 'ferry-ftps-cli-'));
    await writeFile(join(work, 'ca.pem'), certificate.certPem);
  });
  after(async () => {
    await certificate?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('ftps:// against vsftpd (implicit_ssl)', { skip: !isVsftpdAvailable() && 'vsftpd not available' }, () => {
    let server: FtpTestServer;
    let base: string;
    before(async () => {
      server = await startVsftpd('127.0.0.1', { certFile: certificate.certFile, keyFile: certificate.keyFile, isImplicit: true });
      base = `ftps://127.0.0.1:${server.port}`;
    });
    after(() => server?.stop());

    it('puts and gets a file with --ca, passive and active', async () => {
      const content = randomContent(700 * 1024 + 3);
      await writeFile(join(work, 'implicit.bin'), content);
      const put = await ferry(['put', '--ca', 'ca.pem', 'implicit.bin', `${base}/pub/`], work);
      assert.equal(put.exitCode, 0, put.stderr);
      assert.deepEqual(await fileDigest(join(server.writableLocalDir, 'implicit.bin')), bufferDigest(content));
      const get = await ferry(['get', '--ca', 'ca.pem', '--active', `${base}/pub/implicit.bin`, 'implicit-copy.bin'], work);
      assert.equal(get.exitCode, 0, get.stderr);
      assert.deepEqual(await fileDigest(join(work, 'implicit-copy.bin')), bufferDigest(content));
      const ls = await ferry(['ls', '--ca', 'ca.pem', `${base}/pub`], work);
      assert.equal(ls.exitCode, 0, ls.stderr);
      assert.match(ls.stdout, /implicit\.bin$/m);
    });

    it('refuses the self-signed certificate without --ca, naming the problem', async () => {
      const ls = await ferry(['ls', `${base}/pub`], work);
      assert.equal(ls.exitCode, 1);
      assert.match(ls.stderr, /^ferry: TLS certificate of the control connection to 127\.0\.0\.1:\d+ not trusted: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/m);
      assert.match(ls.stderr, /--ca FILE/);
    });

    it('connects without verification with --insecure, and warns', async () => {
      const ls = await ferry(['ls', '--insecure', `${base}/pub`], work);
      assert.equal(ls.exitCode, 0, ls.stderr);
      assert.match(ls.stderr, /warning: --insecure/);
    });
  });

  describe('--tls against Ferry (explicit FTPS required for login and data)', () => {
    let server: FtpTestServer;
    let base: string;
    before(async () => {
      server = await startFerryServer('127.0.0.1', { certFile: certificate.certFile, keyFile: certificate.keyFile });
      base = `ftp://alice:${server.password}@127.0.0.1:${server.port}`;
    });
    after(() => server?.stop());

    it('puts, gets with --continue and lists with --tls --ca', async () => {
      const content = randomContent(2 * 1024 * 1024 + 9);
      await writeFile(join(work, 'explicit.bin'), content);
      const put = await ferry(['put', '--tls', '--ca', 'ca.pem', 'explicit.bin', `${base}/`], work);
      assert.equal(put.exitCode, 0, put.stderr);
      assert.deepEqual(await fileDigest(join(server.root, 'explicit.bin')), bufferDigest(content));
      await writeFile(join(work, 'explicit-copy.bin'), content.subarray(0, 512 * 1024));
      const get = await ferry(['get', '--ftps', '--ca', 'ca.pem', '--continue', `${base}/explicit.bin`, 'explicit-copy.bin'], work);
      assert.equal(get.exitCode, 0, get.stderr);
      assert.match(get.stderr, /resumed at 524288/);
      assert.deepEqual(await fileDigest(join(work, 'explicit-copy.bin')), bufferDigest(content));
    });

    it('without --tls the server refuses the clear-text login', async () => {
      const ls = await ferry(['ls', `${base}/`], work);
      assert.equal(ls.exitCode, 1);
      assert.match(ls.stderr, /^ferry: 5\d\d /m);
    });

    it('refuses --ca or --insecure without FTPS, instead of silently using clear text', async () => {
      const ls = await ferry(['ls', '--insecure', `${base}/`], work);
      assert.equal(ls.exitCode, 1);
      assert.match(ls.stderr, /--ca and --insecure apply to FTPS only/);
    });

    it('names an unreadable --ca file', async () => {
      const ls = await ferry(['ls', '--tls', '--ca', 'missing.pem', `${base}/`], work);
      assert.equal(ls.exitCode, 1);
      assert.match(ls.stderr, /cannot read --ca file missing\.pem/);
    });
  });
});
