/**
 * The `ferry` client commands, run as a child process (not a terminal, so plain summaries) against
 * pyftpdlib with a password login; every transfer checked by size and SHA-256.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPyftpdlibAvailable, startPyftpdlib } from './support/pyftpdlib.js';
import type { FtpTestServer } from './support/ftp-test-server.js';
import { bufferDigest, fileDigest, randomContent } from './support/file-checks.js';

// From source (node --import tsx) run the .ts entry under tsx; compiled (npm test) run the .js.
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

describe('ferry client commands against pyftpdlib', { skip: !isPyftpdlibAvailable() && 'pyftpdlib not installed' }, () => {
  let server: FtpTestServer;
  let work: string;
  let base: string;
  before(async () => {
    server = await startPyftpdlib('127.0.0.1');
    work = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
    base = `ftp://alice:${encodeURIComponent(server.password!)}@127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('puts files into a directory URL and gets one back, in passive and active mode', async () => {
    const one = randomContent(512 * 1024 + 1);
    const two = randomContent(1000);
    await writeFile(join(work, 'one.bin'), one);
    await writeFile(join(work, 'two.bin'), two);
    await mkdir(join(server.root, 'up'));
    const put = await ferry(['put', 'one.bin', 'two.bin', `${base}/up/`], work);
    assert.equal(put.exitCode, 0, put.stderr);
    assert.match(put.stderr, /^one\.bin: 512\.0 KiB in /m, 'a plain summary line per file when not on a terminal');
    assert.deepEqual(await fileDigest(join(server.root, 'up', 'one.bin')), bufferDigest(one));
    assert.deepEqual(await fileDigest(join(server.root, 'up', 'two.bin')), bufferDigest(two));

    const get = await ferry(['get', '--active', `${base}/up/one.bin`, 'copy.bin'], work);
    assert.equal(get.exitCode, 0, get.stderr);
    assert.deepEqual(await fileDigest(join(work, 'copy.bin')), bufferDigest(one));

    const toStdout = await ferry(['get', '--quiet', '--no-epsv', `${base}/up/two.bin`, '-'], work);
    assert.equal(toStdout.exitCode, 0, toStdout.stderr);
    assert.equal(toStdout.stderr, '', '--quiet prints nothing');
  });

  it('lists a directory with one line per entry', async () => {
    await mkdir(join(server.root, 'listed', 'sub'), { recursive: true });
    await writeFile(join(server.root, 'listed', 'five.txt'), '12345');
    const ls = await ferry(['ls', `${base}/listed`], work);
    assert.equal(ls.exitCode, 0, ls.stderr);
    const lines = ls.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^- +5 \d{4}-\d\d-\d\d \d\d:\d\d five\.txt$/);
    assert.match(lines[1]!, /^d +\d+ .* sub$/);
  });

  it('continues a partial download with --continue', async () => {
    const content = randomContent(3 * 1024 * 1024);
    await writeFile(join(server.root, 'big.bin'), content);
    await writeFile(join(work, 'big.bin'), content.subarray(0, 1024 * 1024));
    const get = await ferry(['get', '--continue', `${base}/big.bin`], work);
    assert.equal(get.exitCode, 0, get.stderr);
    assert.match(get.stderr, /resumed at 1048576/);
    assert.deepEqual(await fileDigest(join(work, 'big.bin')), bufferDigest(content));
  });

  it('mirrors a tree down and up with --parallel, skipping identical files on the second run', async () => {
    const files: Record<string, Buffer> = { 'a.bin': randomContent(200_000), 'd/b.bin': randomContent(300_000), 'd/e/c.txt': Buffer.from('c') };
    for (const [path, data] of Object.entries(files)) {
      await mkdir(join(server.root, 'tree', path, '..'), { recursive: true });
      await writeFile(join(server.root, 'tree', path), data);
    }
    const down = await ferry(['mirror', '--parallel', '2', `${base}/tree`, 'local-tree'], work);
    assert.equal(down.exitCode, 0, down.stderr);
    assert.match(down.stderr, /mirror: 3 copied .* 0 skipped/);
    for (const [path, data] of Object.entries(files)) assert.deepEqual(await fileDigest(join(work, 'local-tree', path)), bufferDigest(data));
    const again = await ferry(['mirror', `${base}/tree`, 'local-tree'], work);
    assert.match(again.stderr, /mirror: 0 copied .* 3 skipped/);

    const up = await ferry(['mirror', '--reverse', '-P', '3', 'local-tree', `${base}/tree-up`], work);
    assert.equal(up.exitCode, 0, up.stderr);
    for (const [path, data] of Object.entries(files)) assert.deepEqual(await fileDigest(join(server.root, 'tree-up', path)), bufferDigest(data));
  });

  it('makes directories with parents, renames and removes recursively', async () => {
    assert.equal((await ferry(['mkdir', '-p', `${base}/m/n/o`], work)).exitCode, 0);
    assert.ok((await stat(join(server.root, 'm', 'n', 'o'))).isDirectory());
    assert.equal((await ferry(['mv', `${base}/m/n`, 'renamed'], work)).exitCode, 0);
    assert.deepEqual(await readdir(join(server.root, 'm')), ['renamed']);
    assert.equal((await ferry(['rm', '-r', `${base}/m`], work)).exitCode, 0);
    await assert.rejects(stat(join(server.root, 'm')), { code: 'ENOENT' });
  });

  it('reads credentials from a netrc file when the URL has none', async () => {
    await writeFile(join(work, 'netrc'), `machine 127.0.0.1\n  login alice\n  password "${server.password}"\n`);
    await writeFile(join(server.root, 'netrc-test.txt'), 'netrc');
    const ls = await ferry(['ls', '--netrc', 'netrc', `ftp://127.0.0.1:${server.port}/`], work);
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.match(ls.stdout, /netrc-test\.txt/);
  });

  it('asks for the password on a terminal without echoing it, and refuses to ask without one', async () => {
    await writeFile(join(server.root, 'prompted.txt'), 'prompted');
    // A pseudo-terminal as stdin and stderr (where the prompt goes); stdout stays a pipe.
    const driver = [
      'import os, pty, select, subprocess, sys, time',
      'master, slave = pty.openpty()',
      'child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=subprocess.PIPE, stderr=slave)',
      'os.close(slave)',
      'seen = b""',
      'deadline = time.time() + 20',
      'while b"Password for" not in seen and time.time() < deadline:',
      '    if select.select([master], [], [], 0.2)[0]: seen += os.read(master, 4096)',
      'os.write(master, b"s3cret pass\\r")',
      'out, _ = child.communicate(timeout=30)',
      'while select.select([master], [], [], 0.2)[0]:',
      '    try: seen += os.read(master, 4096)',
      '    except OSError: break',
      'sys.stdout.write(str(child.returncode) + "\\n" + seen.decode("utf8", "replace").replace("\\n", " ") + "\\n" + out.decode())',
    ].join('\n');
    const result = await new Promise<string>((resolve, reject) => {
      execFile('python3', ['-c', driver, process.execPath, ...nodeArguments, entry, 'ls', `ftp://alice@127.0.0.1:${server.port}/`], { cwd: work, env: { ...process.env, HOME: work }, timeout: 60000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    const [exitCode, terminal, ...listing] = result.split('\n');
    assert.equal(exitCode, '0', `terminal: ${terminal}`);
    assert.match(terminal!, /Password for alice@127\.0\.0\.1: /);
    assert.doesNotMatch(terminal!, /s3cret/, 'the password must not be echoed');
    assert.match(listing.join('\n'), /prompted\.txt/);

    const noTerminal = await ferry(['ls', `ftp://alice@127.0.0.1:${server.port}/`], work);
    assert.equal(noTerminal.exitCode, 1);
    assert.match(noTerminal.stderr, /no password given and stdin is not a terminal/);
  });

  it('exits non-zero with a one-line reason on failure', async () => {
    const missing = await ferry(['get', `${base}/no/such/file.bin`, 'x.bin'], work);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /^ferry: 550 .*\(RETR no\/such\/file\.bin\)\n$/m);
    await assert.rejects(stat(join(work, 'x.bin')), { code: 'ENOENT' }, 'no empty file is left behind');

    const badLogin = await ferry(['ls', `ftp://alice:wrong@127.0.0.1:${server.port}/`], work);
    assert.equal(badLogin.exitCode, 1);
    assert.match(badLogin.stderr, /^ferry: 530 /m);

    const notFtp = await ferry(['ls', 'http://example.com/'], work);
    assert.equal(notFtp.exitCode, 1);
    assert.match(notFtp.stderr, /only ftp:\/\/ and ftps:\/\/ URLs/);
  });
});
