/**
 * Interop with Debian's lftp against a real Ferry server on loopback: `set ftp:passive-mode on/off`
 * (PASV, EPSV with ftp:prefer-epsv, PORT, EPRT), over IPv4 and IPv6; log in, ls (LIST) and cls
 * (MLSD), put/get, `get -c`/`reget` and `put -c` resume, mv, rm, mkdir -p/rmdir, `mirror` and
 * `mirror -R` of a small tree, UTF-8 names, a name with spaces and a leading dash. Every
 * transfer is checked by size and SHA-256 on both ends.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { randomPayload, sha256 } from '../helpers/checksum.js';
import { describeResult, runProcess, type ProcessResult } from '../helpers/child-process.js';
import { describeFile, readTree, writeTree } from '../helpers/file-tree.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

interface LftpMode {
  readonly name: string;
  readonly settings: string[];
  readonly dataCommand: 'PASV' | 'EPSV' | 'PORT' | 'EPRT';
}

const passivePasv: LftpMode = { name: 'passive (PASV)', settings: ['set ftp:passive-mode on', 'set ftp:prefer-epsv no'], dataCommand: 'PASV' };
const passiveEpsv: LftpMode = { name: 'passive (EPSV, ftp:prefer-epsv)', settings: ['set ftp:passive-mode on', 'set ftp:prefer-epsv yes'], dataCommand: 'EPSV' };
const activePort: LftpMode = { name: 'active (PORT, ftp:passive-mode off)', settings: ['set ftp:passive-mode off'], dataCommand: 'PORT' };
const activeEprt: LftpMode = { name: 'active (EPRT, ftp:passive-mode off)', settings: ['set ftp:passive-mode off'], dataCommand: 'EPRT' };
const dataCommands = ['PASV', 'EPSV', 'PORT', 'EPRT'];

const families = [
  { family: 'IPv4', host: '127.0.0.1', urlHost: '127.0.0.1', modes: [passivePasv, passiveEpsv, activePort] },
  // Over IPv6 lftp can only speak the RFC 2428 commands; active mode over IPv6 loopback has its
  // own spec below (lftp sends EPRT with the unspecified address there).
  { family: 'IPv6', host: '::1', urlHost: '[::1]', modes: [passiveEpsv] },
];

/** Settings that make lftp deterministic and quick to fail: no retries, no TLS upgrade, UTF-8. */
const baseSettings = [
  'set cmd:fail-exit yes',
  'set net:max-retries 1',
  'set net:timeout 10',
  'set net:reconnect-interval-base 1',
  'set ftp:ssl-allow no',
  'set ftp:use-mlsd yes',
  'set ftp:charset utf-8',
  'set file:charset utf-8',
  'set xfer:clobber on',
  'set mirror:parallel-transfer-count 1',
];

/** Quote an argument for an lftp command line. */
function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Run an lftp script against the server with a protocol trace; returns the result and the
 * commands lftp sent (from the trace, "---> CMD arg").
 */
async function lftp(t: TestContext, local: string, url: string, mode: LftpMode, commands: string[]): Promise<{ result: ProcessResult; sent: string[] }> {
  const traceFile = join(local, `.lftp-trace-${Date.now()}-${Math.random().toString(16).slice(2)}.log`);
  const script = [...baseSettings, ...mode.settings, `debug -o ${quote(traceFile)} -t 5`, `open -u alice,secret ${url}`, `lcd ${quote(local)}`, ...commands, 'bye', ''].join('\n');
  const scriptFile = join(local, `.lftp-script-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  await writeFile(scriptFile, script);
  const result = await runProcess(t, 'lftp', ['-f', scriptFile], { cwd: local, timeoutMs: 40_000, env: { HOME: local } });
  const trace = await readFile(traceFile, 'utf8').catch(() => '');
  const sent = [...trace.matchAll(/---> (.*?)\r?$/gm)].map((match) => match[1]!);
  if (result.exitCode !== 0) assert.fail(`${describeResult('lftp', result)}\n--- trace ---\n${trace.slice(-6000)}`);
  return { result, sent };
}

/** Lines between `echo BEGIN-x` and `echo END-x` markers in lftp's output. */
function section(stdout: string, name: string): string[] {
  const match = new RegExp(`^BEGIN-${name}\\n([\\s\\S]*?)^END-${name}$`, 'm').exec(stdout);
  assert.ok(match, `section ${name} missing from:\n${stdout}`);
  return match[1]!.split('\n').filter(Boolean);
}

for (const { family, host, urlHost, modes } of families) {
  for (const mode of modes) {
    test(`lftp over ${family} in ${mode.name}: lists, transfers, resumes, renames, deletes, manages directories and mirrors both ways`, async (t) => {
      const { port, root } = await startTestServer(t, { host });
      const local = await makeTempDir(t, 'ferry-lftp-');
      const url = `ftp://${urlHost}:${port}`;

      const payload = randomPayload(640 * 1024 + 7);
      await writeFile(join(local, 'big.bin'), payload);
      await writeFile(join(local, 'partial.bin'), payload.subarray(0, 250_001));
      await writeFile(join(local, 'partial2.bin'), payload.subarray(0, 99_999));
      await writeFile(join(root, 'half.bin'), payload.subarray(0, 333_333));
      const localTree = join(local, 'tree');
      const treeManifest = await writeTree(localTree, { 'one.bin': 70_001, 'a/two.bin': 1, 'a/b/three.bin': 150_000, 'a/b/c/empty.bin': 0 });

      const { result, sent } = await lftp(t, local, url, mode, [
        'mkdir -p work/deep/er',
        'cd work',
        'put big.bin -o big.bin',
        'echo BEGIN-ls', 'ls', 'echo END-ls',
        'echo BEGIN-cls', 'cls -1 --sort=name', 'echo END-cls',
        'get big.bin -o down.bin',
        // Resume downloads: get -c and reget both send REST with the local size.
        'get -c big.bin -o partial.bin',
        'reget big.bin -o partial2.bin',
        // Resume an upload onto the server's partial copy.
        'put -c big.bin -o /half.bin',
        'mv big.bin moved.bin',
        'rm moved.bin',
        'rmdir deep/er',
        'echo BEGIN-after', 'cls -1', 'echo END-after',
        'cd /',
        'mirror -R tree remote-tree',
        'mirror remote-tree back-tree',
      ]);

      // Every data connection used the mode under test: no silent fallback to another one.
      const used = new Set(sent.map((line) => line.split(' ')[0]!).filter((verb) => dataCommands.includes(verb)));
      assert.deepEqual([...used], [mode.dataCommand], sent.join(' | '));
      const whole = { size: payload.length, sha256: sha256(payload) };

      // Listings: LIST shows the uploaded file with its size; MLSD names both entries.
      assert.ok(sent.includes('LIST'), sent.join(' | '));
      assert.ok(sent.includes('MLSD'), sent.join(' | '));
      const ls = section(result.stdout, 'ls');
      assert.ok(ls.some((line) => new RegExp(`^-\\S+\\s+\\d+\\s+\\S+\\s+\\S+\\s+${payload.length} .+ big\\.bin$`).test(line)), ls.join('\n'));
      assert.deepEqual(section(result.stdout, 'cls'), ['big.bin', 'deep/']);

      // Transfers and resumes.
      assert.ok(sent.includes('REST 250001'), sent.join(' | '));
      assert.ok(sent.includes('REST 99999'), sent.join(' | '));
      assert.ok(sent.includes('REST 333333'), sent.join(' | '));
      assert.deepEqual(await describeFile(join(local, 'down.bin')), whole);
      assert.deepEqual(await describeFile(join(local, 'partial.bin')), whole);
      assert.deepEqual(await describeFile(join(local, 'partial2.bin')), whole);
      assert.deepEqual(await describeFile(join(root, 'half.bin')), whole);

      // mv, rm, rmdir.
      assert.ok(sent.includes('RNFR big.bin') && sent.includes('RNTO moved.bin'), sent.join(' | '));
      assert.deepEqual(section(result.stdout, 'after'), ['deep/']);
      assert.deepEqual(await readdir(join(root, 'work')), ['deep']);
      assert.deepEqual(await readdir(join(root, 'work', 'deep')), []);

      // mirror -R then mirror: every file, including the empty one, arrives intact both ways.
      assert.deepEqual(await readTree(join(root, 'remote-tree')), treeManifest);
      assert.deepEqual(await readTree(join(local, 'back-tree')), treeManifest);
    });
  }
}

test('lftp in active mode over IPv6 loopback sends EPRT with the unspecified address and Ferry connects back to the client', async (t) => {
  // lftp 4.9 leaves its active data socket unbound when the peer is a loopback address
  // (ftp:bind-data-socket makes an exception for loopback) and announces getsockname()'s "::".
  // Ferry reads an unspecified address as the client's own (it cannot bounce anywhere else), so
  // the transfer runs in active mode instead of lftp falling back to EPSV.
  const { port, root } = await startTestServer(t, { host: '::1' });
  const local = await makeTempDir(t, 'ferry-lftp-');
  const payload = randomPayload(200_003);
  await writeFile(join(local, 'up.bin'), payload);
  const { sent } = await lftp(t, local, `ftp://[::1]:${port}`, { ...activeEprt, settings: [...activeEprt.settings, 'set net:max-retries 3'] }, [
    'put up.bin -o up.bin',
    'get up.bin -o down.bin',
  ]);
  assert.ok(sent.some((line) => /^EPRT \|2\|::\|\d+\|$/.test(line)), sent.join(' | '));
  assert.ok(!sent.includes('EPSV'), `fell back to passive: ${sent.join(' | ')}`);
  const whole = { size: payload.length, sha256: sha256(payload) };
  assert.deepEqual(await describeFile(join(root, 'up.bin')), whole);
  assert.deepEqual(await describeFile(join(local, 'down.bin')), whole);
});

test('lftp round-trips UTF-8 names and a name with spaces and a leading dash', async (t) => {
  const { port, root } = await startTestServer(t);
  const local = await makeTempDir(t, 'ferry-lftp-');
  const names = ['naïve 文件.txt', '-dash  name.bin', 'ünï çødé/Ελληνικά.bin'];
  const payloads = new Map(names.map((name, index) => [name, randomPayload(10_000 + index * 777)]));
  await mkdir(join(local, 'up', 'ünï çødé'), { recursive: true });
  for (const [name, payload] of payloads) await writeFile(join(local, 'up', name), payload);

  await mkdir(join(local, 'get', 'ünï çødé'), { recursive: true });
  const serverName = (name: string) => name.replace('naïve 文件.txt', 'renamed ✓.txt');

  const { result, sent } = await lftp(t, local, `ftp://127.0.0.1:${port}`, passiveEpsv, [
    'mkdir -p "up/ünï çødé"',
    ...names.map((name) => `put ${quote(`up/${name}`)} -o ${quote(`up/${name}`)}`),
    'echo BEGIN-cls', 'cls -1 up', 'echo END-cls',
    'echo BEGIN-nlist', 'nlist up', 'echo END-nlist',
    'mirror up down',
    'mv "up/naïve 文件.txt" "up/renamed ✓.txt"',
    ...names.map((name) => `get ${quote(`up/${serverName(name)}`)} -o ${quote(`get/${name}`)}`),
  ]);
  assert.ok(sent.includes('OPTS UTF8 ON') || sent.includes('OPTS UTF8 on'), sent.join(' | '));
  assert.ok(sent.includes('STOR naïve 文件.txt') || sent.some((line) => line.endsWith('naïve 文件.txt')), sent.join(' | '));

  assert.deepEqual((await readdir(join(root, 'up'))).sort(), ['-dash  name.bin', 'renamed ✓.txt', 'ünï çødé'].sort());
  assert.deepEqual(section(result.stdout, 'cls').map((line) => line.replace(/^up\//, '')).sort(), ['-dash  name.bin', 'naïve 文件.txt', 'ünï çødé/'].sort());
  assert.deepEqual(section(result.stdout, 'nlist').map((line) => line.replace(/^up\//, '')).sort(), ['-dash  name.bin', 'naïve 文件.txt', 'ünï çødé'].sort());
  for (const [name, payload] of payloads) {
    const expected = { size: payload.length, sha256: sha256(payload) };
    assert.deepEqual(await describeFile(join(root, 'up', serverName(name))), expected, `server ${serverName(name)}`);
    assert.deepEqual(await describeFile(join(local, 'down', name)), expected, `mirrored ${name}`);
    assert.deepEqual(await describeFile(join(local, 'get', name)), expected, `downloaded ${name}`);
  }
});
