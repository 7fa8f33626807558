/**
 * Interop with Debian's curl as an FTP client against a real Ferry server on loopback: passive
 * (EPSV, and PASV with --disable-epsv) and active (EPRT with -P, PORT with --disable-eprt), over
 * IPv4 and IPv6; log in, LIST/NLST, upload, download, resume both ways, rename, delete, mkdir,
 * rmdir; anonymous read-only access. Every transfer is checked by size and SHA-256.
 */
import assert from 'node:assert/strict';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { describeResult, runProcess, type ProcessResult } from '../helpers/child-process.js';
import { describeFile } from '../helpers/file-tree.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

interface CurlMode {
  readonly name: string;
  readonly flags: (host: string) => string[];
  /** The data-connection command curl is expected to send. */
  readonly dataCommand: 'EPSV' | 'PASV' | 'EPRT' | 'PORT';
}

const passiveEpsv: CurlMode = { name: 'passive EPSV (--ftp-pasv)', flags: () => ['--ftp-pasv'], dataCommand: 'EPSV' };
const passivePasv: CurlMode = { name: 'passive PASV (--ftp-pasv --disable-epsv)', flags: () => ['--ftp-pasv', '--disable-epsv'], dataCommand: 'PASV' };
const activeDash: CurlMode = { name: 'active EPRT (-P -)', flags: () => ['-P', '-'], dataCommand: 'EPRT' };
const activeAddress: CurlMode = { name: 'active EPRT (-P <address>)', flags: (host) => ['-P', host], dataCommand: 'EPRT' };
const activePort: CurlMode = { name: 'active PORT (-P <address> --disable-eprt)', flags: (host) => ['-P', host, '--disable-eprt'], dataCommand: 'PORT' };

const families = [
  // PASV and PORT carry only IPv4 addresses (RFC 2428 §1), so those modes are IPv4-only.
  { family: 'IPv4', host: '127.0.0.1', urlHost: '127.0.0.1', modes: [passiveEpsv, passivePasv, activeDash, activeAddress, activePort] },
  { family: 'IPv6', host: '::1', urlHost: '[::1]', modes: [passiveEpsv, activeDash, activeAddress] },
];

/** Run curl with bounded timeouts; `--verbose` so the test can see the commands it sent. */
function curl(t: TestContext, args: string[], cwd: string): Promise<ProcessResult> {
  return runProcess(t, 'curl', ['--silent', '--show-error', '--verbose', '--globoff', '--connect-timeout', '5', '--max-time', '20', ...args], {
    cwd,
    timeoutMs: 25_000,
  });
}

/** Assert curl exited 0; the message carries its output. */
function assertOk(result: ProcessResult, what: string): void {
  assert.equal(result.exitCode, 0, describeResult(`curl ${what}`, result));
}

/** Commands curl sent, from its --verbose trace ("> RETR x"). */
function sentCommands(result: ProcessResult): string[] {
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('> '))
    .map((line) => line.slice(2).trimEnd());
}

for (const { family, host, urlHost, modes } of families) {
  for (const mode of modes) {
    test(`curl over ${family} in ${mode.name}: lists, uploads, downloads, resumes, renames, deletes, makes and removes directories`, async (t) => {
      const { port, root } = await startTestServer(t, { host });
      const local = await makeTempDir(t, 'ferry-curl-');
      const base = `ftp://${urlHost}:${port}`;
      const common = ['--user', 'alice:secret', ...mode.flags(host)];

      // Upload, creating the missing directories on the way (MKD).
      const payload = randomPayload(768 * 1024 + 13);
      await writeFile(join(local, 'up.bin'), payload);
      const upload = await curl(t, [...common, '--ftp-create-dirs', '-T', 'up.bin', `${base}/dir/sub/up.bin`], local);
      assertOk(upload, 'upload');
      const commands = sentCommands(upload);
      assert.ok(commands.some((line) => line.startsWith(`${mode.dataCommand} `) || line === mode.dataCommand), `expected ${mode.dataCommand} in ${commands.join(' | ')}`);
      assert.ok(commands.includes('MKD dir'), commands.join(' | '));
      assert.ok(commands.includes('STOR up.bin'), commands.join(' | '));
      assert.deepEqual(await describeFile(join(root, 'dir', 'sub', 'up.bin')), { size: payload.length, sha256: sha256(payload) });

      // LIST and NLST.
      const list = await curl(t, [...common, `${base}/dir/sub/`], local);
      assertOk(list, 'LIST');
      assert.ok(sentCommands(list).includes('LIST'));
      assert.match(list.stdout, new RegExp(`^-\\S+\\s+\\d+\\s+\\S+\\s+\\S+\\s+${payload.length} .+ up\\.bin\\r?$`, 'm'));
      const nlst = await curl(t, [...common, '--list-only', `${base}/dir/`], local);
      assertOk(nlst, 'NLST');
      assert.deepEqual(nlst.stdout.split(/\r?\n/).filter(Boolean), ['sub']);

      // Download.
      const download = await curl(t, [...common, '-o', 'down.bin', `${base}/dir/sub/up.bin`], local);
      assertOk(download, 'download');
      assert.deepEqual(await describeFile(join(local, 'down.bin')), { size: payload.length, sha256: sha256(payload) });

      // Resume a download from a partial local file (REST + RETR).
      await writeFile(join(local, 'partial.bin'), payload.subarray(0, 300_001));
      const resumeDown = await curl(t, [...common, '-C', '-', '-o', 'partial.bin', `${base}/dir/sub/up.bin`], local);
      assertOk(resumeDown, 'resume download');
      assert.ok(sentCommands(resumeDown).includes('REST 300001'), sentCommands(resumeDown).join(' | '));
      assert.deepEqual(await describeFile(join(local, 'partial.bin')), { size: payload.length, sha256: sha256(payload) });

      // Resume an upload onto a partial remote file (SIZE + APPE).
      await writeFile(join(root, 'dir', 'half.bin'), payload.subarray(0, 200_003));
      await writeFile(join(local, 'whole.bin'), payload);
      const resumeUp = await curl(t, [...common, '-C', '-', '-T', 'whole.bin', `${base}/dir/half.bin`], local);
      assertOk(resumeUp, 'resume upload');
      assert.ok(sentCommands(resumeUp).includes('APPE half.bin'), sentCommands(resumeUp).join(' | '));
      assert.deepEqual(await describeFile(join(root, 'dir', 'half.bin')), { size: payload.length, sha256: sha256(payload) });

      // Rename, delete and remove a directory with quoted commands, then list to see the result.
      const manage = await curl(
        t,
        [...common, '-Q', 'RNFR dir/half.bin', '-Q', 'RNTO dir/renamed.bin', '-Q', 'DELE dir/sub/up.bin', '-Q', 'RMD dir/sub', '-Q', 'MKD dir/made', '--list-only', `${base}/dir/`],
        local,
      );
      assertOk(manage, 'RNFR/RNTO/DELE/RMD/MKD');
      assert.deepEqual(manage.stdout.split(/\r?\n/).filter(Boolean).sort(), ['made', 'renamed.bin']);
      assert.deepEqual((await readdir(join(root, 'dir'))).sort(), ['made', 'renamed.bin']);
      assert.deepEqual(await describeFile(join(root, 'dir', 'renamed.bin')), { size: payload.length, sha256: sha256(payload) });

      // A failing command makes curl fail (the server's 550 reaches it).
      const missing = await curl(t, [...common, '-o', 'none.bin', `${base}/dir/no-such-file`], local);
      assert.equal(missing.exitCode, 78, describeResult('curl missing file', missing)); // CURLE_REMOTE_FILE_NOT_FOUND
    });
  }
}

test('curl uploads and downloads a file whose name has spaces and a leading dash', async (t) => {
  const { port, root } = await startTestServer(t);
  const local = await makeTempDir(t, 'ferry-curl-');
  const payload = randomPayload(65_537);
  await writeFile(join(local, 'source.bin'), payload);
  const url = `ftp://127.0.0.1:${port}/-dash%20and%20 spaces.bin`.replace(/ /g, '%20');
  const upload = await curl(t, ['--user', 'alice:secret', '-T', 'source.bin', url], local);
  assertOk(upload, 'upload');
  assert.ok(sentCommands(upload).includes('STOR -dash and  spaces.bin'), sentCommands(upload).join(' | '));
  assert.deepEqual(await readdir(root), ['-dash and  spaces.bin']);
  const download = await curl(t, ['--user', 'alice:secret', '-o', 'copy.bin', url], local);
  assertOk(download, 'download');
  assert.deepEqual(await describeFile(join(local, 'copy.bin')), { size: payload.length, sha256: sha256(payload) });
  const list = await curl(t, ['--user', 'alice:secret', '--list-only', `ftp://127.0.0.1:${port}/`], local);
  assertOk(list, 'NLST');
  assert.deepEqual(list.stdout.split(/\r?\n/).filter(Boolean), ['-dash and  spaces.bin']);
});

test('curl reads anonymously from ftp://localhost/ and its upload is refused', async (t) => {
  const anonymousRoot = await makeTempDir(t, 'ferry-anon-');
  const payload = randomPayload(123_457);
  await mkdir(join(anonymousRoot, 'pub'));
  await writeFile(join(anonymousRoot, 'pub', 'readme.bin'), payload);
  const { port } = await startTestServer(t, { anonymous: { enabled: true, root: anonymousRoot } });
  const local = await makeTempDir(t, 'ferry-curl-');
  // -4: the server listens on 127.0.0.1 only; localhost may resolve to ::1 first.
  const base = `ftp://localhost:${port}`;

  const list = await curl(t, ['-4', `${base}/pub/`], local);
  assertOk(list, 'anonymous LIST');
  assert.ok(sentCommands(list).includes('USER anonymous'), sentCommands(list).join(' | '));
  assert.match(list.stdout, new RegExp(` ${payload.length} .+ readme\\.bin\\r?$`, 'm'));

  const download = await curl(t, ['-4', '-o', 'readme.bin', `${base}/pub/readme.bin`], local);
  assertOk(download, 'anonymous download');
  assert.deepEqual(await describeFile(join(local, 'readme.bin')), { size: payload.length, sha256: sha256(payload) });

  await writeFile(join(local, 'drop.bin'), randomPayload(1000));
  const upload = await curl(t, ['-4', '-T', 'drop.bin', `${base}/pub/drop.bin`], local);
  assert.equal(upload.exitCode, 25, describeResult('anonymous upload', upload)); // CURLE_UPLOAD_FAILED
  assert.match(upload.stderr, /< 550 /);
  await assert.rejects(access(join(anonymousRoot, 'pub', 'drop.bin')));

  const remove = await curl(t, ['-4', '-Q', 'DELE pub/readme.bin', `${base}/`], local);
  assert.notEqual(remove.exitCode, 0, describeResult('anonymous DELE', remove));
  assert.equal(sha256(await readFile(join(anonymousRoot, 'pub', 'readme.bin'))), sha256(payload));

  // The named account still logs in on the same server.
  const named = await curl(t, ['-4', '--user', 'alice:secret', '--list-only', `${base}/`], local);
  assertOk(named, 'named login');
});
