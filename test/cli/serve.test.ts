import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { RawFtpConnection, readAll } from '../helpers/raw-ftp.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ferry = join(process.cwd(), 'bin', 'ferry.js');

/** Start `ferry serve` with JSON logs; resolves with the port from the "listening" log line. */
async function startServe(t: TestContext, args: string[]): Promise<{ child: ChildProcess; port: number; logLines: string[] }> {
  const child = spawn(process.execPath, [ferry, 'serve', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const logLines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; logs: ${logLines.join('\n')}`)), 15000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'listening') {
        clearTimeout(timer);
        resolve(entry.port!);
      }
    });
    child.once('exit', (code) => reject(new Error(`ferry exited with ${code}`)));
  });
  return { child, port, logLines };
}

function runFerry(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [ferry, ...args], { encoding: 'utf8', input, timeout: 20000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('ferry serve serves a directory to a --user account and curl can download and upload', async (t) => {
  const root = await makeTempDir(t);
  const payload = randomPayload(300000);
  await writeFile(join(root, 'hello.bin'), payload);
  const { port } = await startServe(t, ['--root', root, '--user', 'demo:pa:ss']);
  const downloaded = spawnSync('curl', ['-sS', '--max-time', '20', `ftp://demo:pa%3Ass@127.0.0.1:${port}/hello.bin`], { timeout: 25000 });
  assert.equal(downloaded.status, 0, downloaded.stderr?.toString());
  assert.equal(sha256(downloaded.stdout), sha256(payload));
  const source = join(root, 'hello.bin');
  const uploaded = spawnSync('curl', ['-sS', '--max-time', '20', '-T', source, `ftp://demo:pa%3Ass@127.0.0.1:${port}/copy.bin`], { timeout: 25000 });
  assert.equal(uploaded.status, 0, uploaded.stderr?.toString());
  assert.equal(sha256(await readFile(join(root, 'copy.bin'))), sha256(payload));
});

test('ferry serve logs JSON with session id, client address, user, redacted PASS and transfer summaries', async (t) => {
  const root = await makeTempDir(t);
  await writeFile(join(root, 'f.txt'), 'data');
  const { port, logLines } = await startServe(t, ['--root', root, '--user', 'demo:topsecret', '--log-level', 'debug']);
  const connection = await RawFtpConnection.login(t, port, 'demo', 'topsecret');
  const data = await connection.openPassive(t);
  connection.write('RETR f.txt\r\n');
  await connection.nextReply();
  await readAll(data);
  await connection.nextReply();
  await connection.expect('QUIT', 221);
  await connection.waitForClose();
  const waitFor = async (predicate: (entry: Record<string, unknown>) => boolean) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const found = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find(predicate);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('log entry not found');
  };
  const transfer = await waitFor((entry) => entry.msg === 'transfer');
  assert.equal(transfer.path, '/f.txt');
  assert.equal(transfer.outcome, 'completed');
  assert.equal(transfer.user, 'demo');
  assert.equal(transfer.clientAddress, '127.0.0.1');
  assert.ok(typeof transfer.sessionId === 'string');
  assert.equal(typeof transfer.durationMs, 'number');
  await waitFor((entry) => entry.command === 'PASS ****');
  assert.ok(!logLines.some((line) => line.includes('topsecret')), 'the password never reaches the log');
});

test('ferry serve keeps serving and stops on SIGTERM when its log pipe has been closed', async (t) => {
  // `ferry serve | head`: once the reader is gone every log write fails with EPIPE.
  const root = await makeTempDir(t);
  const { child, port } = await startServe(t, ['--root', root, '--user', 'demo:secret']);
  child.stdout!.destroy();
  for (let round = 0; round < 3; round++) {
    const connection = await RawFtpConnection.login(t, port, 'demo', 'secret');
    await connection.expect('NOOP', 200);
    await connection.expect('QUIT', 221);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000).unref())]);
  assert.equal(code, 0, 'the server must exit cleanly after SIGTERM, not spin on failed log writes');
});

test('ferry serve stops with a message naming the key when the config file is invalid', async (t) => {
  const directory = await makeTempDir(t);
  const configFile = join(directory, 'ferry.yaml');
  await writeFile(configFile, 'port: 2121\nlimits:\n  idleTimeoutMs: soon\n');
  const result = runFerry(['serve', '--config', configFile]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /limits\.idleTimeoutMs/);
  assert.match(result.stderr, /ferry\.yaml/);
});

test('ferry serve explains a privileged port it cannot bind', { skip: process.getuid?.() !== 0 ? 'needs root to drop to an unprivileged user' : false }, () => {
  const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ferry, 'serve', '--host', '127.0.0.1', '--port', '1'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /permission denied.*--port 2121/);
});

test('ferry serve rejects a malformed --user and --pasv-ports with the flag named', () => {
  const badUser = runFerry(['serve', '--port', '0', '--user', 'nopassword']);
  assert.equal(badUser.status, 1);
  assert.match(badUser.stderr, /--user/);
  const badRange = runFerry(['serve', '--port', '0', '--pasv-ports', '5000-4000']);
  assert.equal(badRange.status, 1);
  assert.match(badRange.stderr, /5000-4000|min|range/i);
});

test('ferry hash-password prints an scrypt hash that a users file accepts', async (t) => {
  const result = runFerry(['hash-password'], 'correct horse\n');
  assert.equal(result.status, 0, result.stderr);
  const hash = result.stdout.trim();
  assert.ok(await verifyPassword('correct horse', hash));
  assert.ok(!(await verifyPassword('wrong', hash)));
  const root = await makeTempDir(t);
  const usersFile = join(root, 'users.yaml');
  await writeFile(usersFile, `users:\n  - name: carol\n    password: "${hash}"\n    permissions: [list, read]\n`);
  const { port } = await startServe(t, ['--root', root, '--users-file', usersFile]);
  const connection = await RawFtpConnection.login(t, port, 'carol', 'correct horse');
  await connection.expect('MKD nope', 550);
});
