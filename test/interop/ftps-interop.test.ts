/**
 * FTPS interop: curl, lftp, Python ftplib and basic-ftp against a real Ferry server with a
 * certificate made at test time, over TLS 1.2 and 1.3, with session reuse required (the default).
 * Every transfer is checked by size and SHA-256 on both ends; a successful PROT P transfer means
 * the tool resumed the control connection's TLS session on the data connection.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from 'basic-ftp';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { describeResult, runProcess, systemPython } from '../helpers/child-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';
import { makeCertificate } from '../server/ftps-connection.js';

// Scripts are not compiled: from dist/test/… run them from the source tree's test/….
const ftplibScript = fileURLToPath(new URL('./scripts/ftplib_tls.py', import.meta.url)).replace(`${sep}dist${sep}test${sep}`, `${sep}test${sep}`);

const versions = [
  { name: 'TLS 1.2', node: 'TLSv1.2', curl: ['--tlsv1.2', '--tls-max', '1.2'], gnutls: 'NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2', python: '1.2' },
  { name: 'TLS 1.3', node: 'TLSv1.3', curl: ['--tlsv1.3'], gnutls: 'NORMAL:-VERS-TLS-ALL:+VERS-TLS1.3', python: '1.3' },
] as const;

/** An FTPS server (explicit, and implicit on its own port) with a download prepared and an upload source. */
async function setUp(t: TestContext) {
  const certificate = await makeCertificate(t);
  const server = await startTestServer(t, { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile, implicitPort: 0 } });
  const local = await makeTempDir(t, 'ferry-ftps-interop-');
  const download = randomPayload(1024 * 1024 + 77);
  const upload = randomPayload(512 * 1024 + 5);
  await writeFile(join(server.root, 'down.bin'), download);
  await writeFile(join(local, 'up.bin'), upload);
  const implicitPort = server.server.implicitTlsAddress.port;
  /** Check both directions by size and SHA-256. */
  const verify = async (downloadedPath: string, uploadedName = 'up.bin') => {
    const downloaded = await readFile(downloadedPath);
    assert.equal(downloaded.length, download.length);
    assert.equal(sha256(downloaded), sha256(download));
    const uploaded = await readFile(join(server.root, uploadedName));
    assert.equal(uploaded.length, upload.length);
    assert.equal(sha256(uploaded), sha256(upload));
  };
  return { ...server, implicitPort, local, verify };
}

const hasCurl = existsSync('/usr/bin/curl');
const hasLftp = existsSync('/usr/bin/lftp');

for (const version of versions) {
  test(`curl with --ssl-reqd (AUTH TLS, PROT P, EPSV) over ${version.name} downloads and uploads intact`, { skip: !hasCurl && 'curl not installed' }, async (t) => {
    const { port, local, verify } = await setUp(t);
    const common = ['-sS', '--ssl-reqd', '--insecure', ...version.curl, '-u', 'alice:secret', '--max-time', '30'];
    const get = await runProcess(t, 'curl', [...common, `ftp://127.0.0.1:${port}/down.bin`, '-o', join(local, 'down.bin')]);
    assert.equal(get.exitCode, 0, describeResult('curl get', get));
    const put = await runProcess(t, 'curl', [...common, '-T', join(local, 'up.bin'), `ftp://127.0.0.1:${port}/up.bin`]);
    assert.equal(put.exitCode, 0, describeResult('curl put', put));
    await verify(join(local, 'down.bin'));
  });

  test(`curl with ftps:// (implicit FTPS) over ${version.name} downloads and uploads intact`, { skip: !hasCurl && 'curl not installed' }, async (t) => {
    const { implicitPort, local, verify } = await setUp(t);
    const common = ['-sS', '--insecure', ...version.curl, '-u', 'alice:secret', '--max-time', '30'];
    const get = await runProcess(t, 'curl', [...common, `ftps://127.0.0.1:${implicitPort}/down.bin`, '-o', join(local, 'down.bin')]);
    assert.equal(get.exitCode, 0, describeResult('curl get', get));
    const put = await runProcess(t, 'curl', [...common, '-T', join(local, 'up.bin'), `ftps://127.0.0.1:${implicitPort}/up.bin`]);
    assert.equal(put.exitCode, 0, describeResult('curl put', put));
    await verify(join(local, 'down.bin'));
  });

  // Regression (hunt: curl lost every second FTPS transfer on one control connection under
  // TLS 1.3). curl's OpenSSL uses a TLS 1.3 ticket once (it marks the session not resumable after
  // resuming it) and resumes the next data connection with the newest ticket it got. Node's server
  // issued no ticket on a resumed connection, so curl's second data connection offered nothing,
  // did a full handshake and got 522; the third resumed a ticket issued on that refused one.
  test(`curl does three downloads and a listing on one control connection over ${version.name}, all intact`, { skip: !hasCurl && 'curl not installed' }, async (t) => {
    const { port, root, local } = await setUp(t);
    const downloads = [randomPayload(300_001), randomPayload(70_003), randomPayload(1024 * 1024 + 9)];
    for (const [index, payload] of downloads.entries()) await writeFile(join(root, `d${index}.bin`), payload);
    const common = ['-v', '-sS', '--ssl-reqd', '--insecure', ...version.curl, '-u', 'alice:secret', '--max-time', '30'];
    const get = await runProcess(t, 'curl', [
      ...common,
      ...downloads.flatMap((_, index) => [`ftp://127.0.0.1:${port}/d${index}.bin`, '-o', join(local, `d${index}.bin`)]),
      `ftp://127.0.0.1:${port}/`,
      '-o',
      join(local, 'listing.txt'),
    ]);
    assert.equal(get.exitCode, 0, describeResult('curl get', get));
    assert.equal(get.stderr.match(/Re-using existing connection/g)?.length, downloads.length, 'one control connection');
    for (const [index, payload] of downloads.entries()) {
      const received = await readFile(join(local, `d${index}.bin`));
      assert.equal(received.length, payload.length, `d${index}.bin`);
      assert.equal(sha256(received), sha256(payload), `d${index}.bin`);
    }
    assert.match(await readFile(join(local, 'listing.txt'), 'utf8'), /d2\.bin/);
  });

  test(`curl uploads three files on one control connection over ${version.name}${version.node === 'TLSv1.3' ? ': the first intact, then 522 (curl has no fresh ticket)' : ', all intact'}`, { skip: !hasCurl && 'curl not installed' }, async (t) => {
    const { port, root, local } = await setUp(t);
    const uploads = [randomPayload(300_007), randomPayload(5), randomPayload(600_013)];
    for (const [index, payload] of uploads.entries()) await writeFile(join(local, `u${index}.bin`), payload);
    const common = ['-v', '-sS', '--ssl-reqd', '--insecure', ...version.curl, '-u', 'alice:secret', '--max-time', '30'];
    const put = await runProcess(t, 'curl', [...common, '-T', join(local, '{u0.bin,u1.bin,u2.bin}'), `ftp://127.0.0.1:${port}/`]);
    // curl never reads an upload's data connection, so a ticket renewed there would not reach it
    // (and, left unread, turns curl's close into a TCP reset that can cut the upload short); under
    // TLS 1.3 its next data connection therefore cannot resume, as against vsftpd.
    const intact = version.node === 'TLSv1.3' ? 1 : uploads.length;
    if (intact === uploads.length) assert.equal(put.exitCode, 0, describeResult('curl put', put));
    else assert.match(put.stderr, /got 522/, describeResult('curl put', put));
    for (const [index, payload] of uploads.slice(0, intact).entries()) {
      const stored = await readFile(join(root, `u${index}.bin`));
      assert.equal(stored.length, payload.length, `u${index}.bin`);
      assert.equal(sha256(stored), sha256(payload), `u${index}.bin`);
    }
  });

  // No curl active-mode case: curl 7.88.1 (Debian 12) hangs after accepting an active FTPS data
  // connection against vsftpd as well; lftp and ftplib cover active mode.

  for (const isPassive of [true, false]) {
    test(`lftp with ftp:ssl-force in ${isPassive ? 'passive' : 'active'} mode over ${version.name} gets and puts intact`, { skip: !hasLftp && 'lftp not installed' }, async (t) => {
      const { port, local, verify } = await setUp(t);
      const script = [
        'set ftp:ssl-force true',
        'set ftp:ssl-protect-data true',
        'set ssl:verify-certificate no',
        `set ssl:priority ${version.gnutls}`,
        `set ftp:passive-mode ${isPassive}`,
        'set net:max-retries 1',
        'set net:timeout 15',
        `open -u alice,secret -p ${port} 127.0.0.1`,
        `get down.bin -o ${join(local, 'down.bin')}`,
        `put ${join(local, 'up.bin')} -o up.bin`,
      ].join('; ');
      const run = await runProcess(t, 'lftp', ['-c', script], { timeoutMs: 45_000 });
      assert.equal(run.exitCode, 0, describeResult('lftp', run));
      await verify(join(local, 'down.bin'));
    });
  }

  test(`stock Python ftplib.FTP_TLS over ${version.name} is refused with 522: it does not resume the session on data connections`, async (t) => {
    const { port, local } = await setUp(t);
    const run = await runFtplib(t, { port, local, tls: version.python, passive: true, reuse: false });
    assert.ok(run.error !== undefined);
    assert.match(run.reply ?? run.error, /^522 TLS session of data connection not resumed/);
  });

  for (const isPassive of [true, false]) {
    test(`Python ftplib with the session-reusing ntransfercmd over ${version.name} in ${isPassive ? 'passive' : 'active'} mode transfers intact`, async (t) => {
      const { port, local, verify } = await setUp(t);
      const run = await runFtplib(t, { port, local, tls: version.python, passive: isPassive, reuse: true });
      assert.equal(run.error, undefined);
      assert.equal(run.protocol, version.node);
      assert.match(String(run.stor), /^226/);
      assert.match(String(run.retr), /^226/);
      await verify(join(local, 'down.bin'));
    });
  }

  for (const mode of ['explicit', 'implicit'] as const) {
    test(`basic-ftp with secure: ${mode === 'explicit' ? 'true' : '"implicit"'} over ${version.name} downloads and uploads intact`, async (t) => {
      const { port, implicitPort, local, verify } = await setUp(t);
      const client = new Client(20_000);
      t.after(() => client.close());
      await client.access({
        host: '127.0.0.1',
        port: mode === 'explicit' ? port : implicitPort,
        user: 'alice',
        password: 'secret',
        secure: mode === 'explicit' ? true : 'implicit',
        secureOptions: { rejectUnauthorized: false, minVersion: version.node, maxVersion: version.node },
      });
      await client.downloadTo(join(local, 'down.bin'), 'down.bin');
      await client.uploadFrom(join(local, 'up.bin'), 'up.bin');
      await verify(join(local, 'down.bin'));
    });
  }
}

interface FtplibResult {
  readonly protocol?: string;
  readonly stor?: string;
  readonly retr?: string;
  readonly error?: string;
  /** The server's reply when the data connection failed before ftplib read it. */
  readonly reply?: string;
}

async function runFtplib(
  t: TestContext,
  options: { port: number; local: string; tls: string; passive: boolean; reuse: boolean },
): Promise<FtplibResult> {
  const argument = {
    host: '127.0.0.1',
    port: options.port,
    user: 'alice',
    password: 'secret',
    tls: options.tls,
    passive: options.passive,
    reuse: options.reuse,
    download: join(options.local, 'down.bin'),
    upload: join(options.local, 'up.bin'),
    remoteDownload: 'down.bin',
    remoteUpload: 'up.bin',
  };
  const run = await runProcess(t, systemPython, [ftplibScript, JSON.stringify(argument)], { timeoutMs: 45_000 });
  assert.equal(run.exitCode, 0, describeResult('python ftplib', run));
  return JSON.parse(run.stdout) as FtplibResult;
}
