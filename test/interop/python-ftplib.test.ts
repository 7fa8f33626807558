/**
 * Interop with Python's ftplib (Debian's /usr/bin/python3) against a real Ferry server on loopback,
 * passive (set_pasv(True): PASV on IPv4, EPSV on IPv6) and active (set_pasv(False): PORT on IPv4,
 * EPRT on IPv6): every command group ftplib offers, driven by scripts/ftplib_session.py, which
 * prints its results as JSON. Payloads are prepared and every transfer is checked here, by size
 * and SHA-256, on the server's disk and in the downloaded copies.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { describeResult, runProcess, systemPython } from '../helpers/child-process.js';
import { describeFile } from '../helpers/file-tree.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

// Scripts are not compiled: from dist/test/… run them from the source tree's test/….
const scriptPath = fileURLToPath(new URL('./scripts/ftplib_session.py', import.meta.url)).replace(`${sep}dist${sep}test${sep}`, `${sep}test${sep}`);

type StepResult = { ok: true; value: unknown } | { ok: false; error: string };

const variants = [
  { family: 'IPv4', host: '127.0.0.1', isPassive: true, dataCommand: 'PASV' },
  { family: 'IPv4', host: '127.0.0.1', isPassive: false, dataCommand: 'PORT' },
  { family: 'IPv6', host: '::1', isPassive: true, dataCommand: 'EPSV' },
  { family: 'IPv6', host: '::1', isPassive: false, dataCommand: 'EPRT' },
];

/** Run the script and give typed access to its steps: value (must have succeeded), reply, failure. */
async function runSession(t: TestContext, options: Record<string, unknown>) {
  const run = await runProcess(t, systemPython, [scriptPath, JSON.stringify(options)], { timeoutMs: 45_000 });
  assert.equal(run.exitCode, 0, describeResult('ftplib_session.py', run));
  const results = JSON.parse(run.stdout) as Record<string, StepResult>;
  const value = (name: string): unknown => {
    const result = results[name];
    assert.ok(result, `step ${name} missing`);
    assert.ok(result.ok, `step ${name} failed: ${result.ok ? '' : result.error}`);
    return result.value;
  };
  const reply = (name: string): string => value(name) as string;
  const failure = (name: string): string => {
    const result = results[name];
    assert.ok(result && !result.ok, `step ${name} should have failed: ${JSON.stringify(result)}`);
    return result.error;
  };
  return { value, reply, failure };
}

/** Start a server with /big.bin and an 8 MiB /huge.bin, run the ABOR scenario, check everything. */
async function checkAbort(t: TestContext, host: string, isPassive: boolean, how: 'inline' | 'urgent'): Promise<void> {
  const { port, root } = await startTestServer(t, { host });
  const local = await makeTempDir(t, 'ferry-ftplib-');
  const big = randomPayload(300_007);
  const huge = randomPayload(8 * 1024 * 1024);
  await writeFile(join(root, 'big.bin'), big);
  await writeFile(join(root, 'huge.bin'), huge);
  const options = { host, port, user: 'alice', password: 'secret', passive: isPassive, workdir: local, restOffset: 0, abort: how, timeout: 5 };
  const { value, reply } = await runSession(t, options);
  const abort = value('abort') as { first: string; second: string | null; received: number };
  assert.ok(abort.received > 0 && abort.received < huge.length, JSON.stringify(abort));
  assert.match(abort.first, /^426 /, JSON.stringify(abort));
  assert.match(abort.second ?? '', /^226 /, JSON.stringify(abort));
  assert.match(reply('noop_after_abort'), /^200 /);
  assert.match(reply('retr_after_abort'), /^226 /);
  assert.deepEqual(await describeFile(join(local, 'big.after-abort')), { size: big.length, sha256: sha256(big) });
  assert.match(reply('quit'), /^221 /);
}

for (const { family, host, isPassive, dataCommand } of variants) {
  test(`Python ftplib over ${family} with set_pasv(${isPassive ? 'True' : 'False'}) (${dataCommand}) drives every command group and transfers intact`, async (t) => {
    const { port, root } = await startTestServer(t, { host });
    const local = await makeTempDir(t, 'ferry-ftplib-');
    const big = randomPayload(1024 * 1024 + 33);
    const restOffset = 400_017;
    const utf8Payload = randomPayload(20_011);
    const dashPayload = randomPayload(3_001);
    const text = 'first line\nsecond line with trailing spaces  \n\nlast line\n';
    await writeFile(join(local, 'big.bin'), big);
    await writeFile(join(local, 'big.prefix'), big.subarray(0, restOffset));
    await writeFile(join(local, 'big.prefix-down'), big.subarray(0, restOffset));
    await writeFile(join(local, 'utf8.bin'), utf8Payload);
    await writeFile(join(local, 'dash.bin'), dashPayload);
    await writeFile(join(local, 'text.txt'), text);

    const options = { host, port, user: 'alice', password: 'secret', passive: isPassive, workdir: local, restOffset };
    const { value, reply, failure } = await runSession(t, options);
    const whole = { size: big.length, sha256: sha256(big) };

    // ftplib used the expected data command, and only that one.
    const verbs = value('verbs') as string[];
    assert.deepEqual(verbs.filter((verb) => ['PASV', 'EPSV', 'PORT', 'EPRT'].includes(verb)), [dataCommand]);

    // Greeting, HOST before and after login, login.
    assert.match(reply('connect'), /^220 /);
    assert.match(reply('host_before_login'), /^220 /);
    assert.match(reply('login'), /^230 /);
    assert.match(failure('host_after_login'), /^error_perm: 503 /);

    // Informational commands.
    const feat = reply('feat');
    assert.match(feat, /^211-/);
    for (const feature of ['EPRT', 'EPSV', 'MDTM', 'MFMT', 'MLST', 'REST STREAM', 'SIZE', 'UTF8', 'HOST']) {
      assert.match(feat, new RegExp(`^ ${feature}`, 'm'), `FEAT lacks ${feature}`);
    }
    assert.match(reply('help'), /^214[- ]/);
    assert.match(reply('stat'), /^211[- ]/);
    assert.match(reply('noop'), /^200 /);
    assert.match(reply('syst'), /^215 UNIX Type: L8/);
    assert.match(reply('opts_utf8'), /^200 /);

    // Directories.
    assert.equal(value('pwd_root'), '/');
    assert.equal(value('mkd'), '/dir');
    assert.match(reply('cwd'), /^250 /);
    assert.equal(value('mkd_nested'), '/dir/sub');
    assert.equal(value('pwd_nested'), '/dir/sub');
    assert.match(reply('cdup'), /^2\d\d /);
    assert.equal(value('pwd_after_cdup'), '/dir');
    assert.match(reply('rmd'), /^250 /);
    assert.match(failure('cwd_missing'), /^error_perm: 550 /);

    // Binary transfers, SIZE and resume (REST) both ways.
    assert.match(reply('storbinary'), /^226 /);
    assert.deepEqual(await describeFile(join(root, 'dir', 'big.bin')), whole);
    assert.equal(value('size'), big.length);
    assert.match(reply('retrbinary'), /^226 /);
    assert.deepEqual(await describeFile(join(local, 'big.down')), whole);
    assert.match(failure('retr_missing'), /^error_perm: 550 /);
    assert.match(reply('storbinary_prefix'), /^226 /);
    assert.match(reply('storbinary_rest'), /^226 /);
    assert.match(reply('retr_resumed'), /^226 /);
    assert.deepEqual(await describeFile(join(local, 'resumed.down')), whole);
    assert.match(reply('retrbinary_rest'), /^226 /);
    assert.deepEqual(await describeFile(join(local, 'big.prefix-down')), whole);

    // ASCII: storlines sent CRLF, stored with the server's LF; retrlines gives the lines back.
    assert.match(reply('storlines'), /^226 /);
    assert.equal(await readFile(join(root, 'dir', 'text.txt'), 'utf8'), text);
    const retrlines = value('retrlines') as { reply: string; lines: string[] };
    assert.match(retrlines.reply, /^226 /);
    assert.deepEqual(retrlines.lines, text.split('\n').slice(0, -1));

    // Listings: NLST, LIST, MLSD.
    assert.deepEqual(value('nlst'), ['big.bin', 'resumed.bin', 'text.txt']);
    const dirLines = value('dir') as string[];
    assert.ok(dirLines.some((line) => new RegExp(`^-\\S+\\s+\\d+\\s+\\S+\\s+\\S+\\s+${big.length} .+ big\\.bin$`).test(line)), dirLines.join('\n'));
    const mlsd = new Map(value('mlsd') as [string, Record<string, string>][]);
    assert.equal(mlsd.get('big.bin')?.type, 'file');
    assert.equal(mlsd.get('big.bin')?.size, String(big.length));
    assert.equal(mlsd.get('resumed.bin')?.size, String(big.length));
    assert.ok([...mlsd.keys()].every((name) => ['.', '..', 'big.bin', 'resumed.bin', 'text.txt'].includes(name)), [...mlsd.keys()].join());

    // MDTM, MFMT, SITE CHMOD: visible in replies and on disk.
    assert.match(reply('mdtm'), /^213 \d{14}$/);
    assert.match(reply('mfmt'), /^213 /);
    assert.equal(reply('mdtm_after_mfmt'), '213 20200102030405');
    const bigStat = await stat(join(root, 'dir', 'big.bin'));
    assert.equal(bigStat.mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.match(reply('site_chmod'), /^200 /);
    assert.equal(bigStat.mode & 0o777, 0o600);
    assert.match(reply('site_help'), /^214 /);

    // UTF-8 names and a name with spaces and a leading dash.
    assert.deepEqual(value('nlst_names'), ['-dash  spaced.bin', 'big.bin', 'naïve 文件.txt', 'resumed.bin', 'text.txt']);
    assert.ok((value('mlsd_names') as string[]).includes('naïve 文件.txt'));
    assert.equal(value('size_utf8'), utf8Payload.length);
    assert.match(reply('rename_utf8'), /^250 /);
    assert.deepEqual(await describeFile(join(root, 'dir', 'Ελληνικά ✓.txt')), { size: utf8Payload.length, sha256: sha256(utf8Payload) });
    assert.deepEqual(await describeFile(join(local, 'utf8.down')), { size: utf8Payload.length, sha256: sha256(utf8Payload) });
    assert.deepEqual(await describeFile(join(root, 'dir', '-dash  spaced.bin')), { size: dashPayload.length, sha256: sha256(dashPayload) });
    assert.deepEqual(await describeFile(join(local, 'dash.down')), { size: dashPayload.length, sha256: sha256(dashPayload) });
    assert.equal(value('mkd_utf8'), '/dir/répertoire 目录');
    assert.match(reply('rmd_utf8'), /^250 /);

    // Rename and delete, with their failures.
    assert.match(reply('rename'), /^250 /);
    assert.match(failure('rename_missing'), /^error_perm: 550 /);
    assert.match(reply('delete'), /^250 /);
    assert.match(failure('delete_missing'), /^error_perm: 550 /);
    assert.deepEqual((await readdir(join(root, 'dir'))).sort(), ['-dash  spaced.bin', 'big.bin', 'text.txt', 'Ελληνικά ✓.txt'].sort());

    assert.match(reply('quit'), /^221 /);
  });
}

for (const { family, host, isPassive, dataCommand } of variants) {
  test(`ABOR sent as an ordinary line during an ftplib download over ${family} (${dataCommand}) gets 426 then 226 and the session carries on`, async (t) => {
    await checkAbort(t, host, isPassive, 'inline');
  });
}

test("Python ftplib's abort() during a download (ABOR sent as TCP urgent data) gets 426 then 226 and the session carries on", async (t) => {
  // Bug: ftplib.FTP.abort() sends "ABOR\r\n" with MSG_OOB, so its last byte (LF) is TCP urgent
  // data. Node cannot set SO_OOBINLINE (vsftpd and pyftpdlib do), so Linux drops that byte from
  // the stream: Ferry sees "ABOR\r", waits for the LF forever and never replies; ftplib times out.
  await checkAbort(t, '127.0.0.1', true, 'urgent');
});
