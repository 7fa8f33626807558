/**
 * `ferry get` on a terminal, ended by Ctrl-C or kill. Regression for the hunt-client bug
 * bug_cursor_sigint.sh: the progress bars hide the cursor (ESC[?25l) and a SIGINT or SIGTERM ended
 * the process without ever showing it again (ESC[?25h), leaving the user's terminal without one.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { endlessSlowRetr, startScriptedServer, type ScriptedServer } from '../fixtures/malicious-server/scripted-ftp-server.js';
import { systemPython } from '../helpers/child-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const isSource = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL(`./support/ferry-cli.${isSource ? 'ts' : 'js'}`, import.meta.url));
const nodeArguments = isSource ? ['--import', import.meta.resolve('tsx')] : [];

const hideCursor = '\x1b[?25l';
const showCursor = '\x1b[?25h';

/**
 * Runs argv[2:] with stderr on a pseudo-terminal (so ferry draws bars), waits until the cursor was
 * hidden and a bar drawn, sends the signal named in argv[1], and prints a JSON result: the exit
 * code (negative: the signal that ended it) and everything written to the terminal.
 */
const driver = [
  'import json, os, pty, select, signal, subprocess, sys, time',
  'master, slave = pty.openpty()',
  'child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)',
  'os.close(slave)',
  'seen = b""',
  'deadline = time.time() + 30',
  'def read_some(timeout):',
  '    global seen',
  '    if select.select([master], [], [], timeout)[0]:',
  '        try: seen += os.read(master, 65536)',
  '        except OSError: return False',
  '    return True',
  'while not (b"\\x1b[?25l" in seen and b"%" in seen) and time.time() < deadline and child.poll() is None:',
  '    read_some(0.1)',
  'child.send_signal(getattr(signal, sys.argv[1]))',
  'code = child.wait(timeout=30)',
  'while read_some(0.2) and select.select([master], [], [], 0)[0]: pass',
  'print(json.dumps({"code": code, "terminal": seen.decode("latin1")}))',
].join('\n');

describe('ferry get on a terminal, interrupted', () => {
  let server: ScriptedServer;
  after(async () => {
    await server?.close();
  });

  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    it(`shows the cursor again on ${signal} and still ends by the signal`, async (t) => {
      server ??= await startScriptedServer({
        commands: {
          SIZE: (s) => s.write('213 100000000\r\n'),
          // An endless, slow download: still running when the signal comes.
          RETR: endlessSlowRetr,
        },
      });
      const work = await makeTempDir(t);
      const url = `ftp://u:p@${server.host}:${server.port}/slow.bin`;
      const output = await new Promise<string>((resolve, reject) => {
        execFile(systemPython, ['-c', driver, signal, process.execPath, ...nodeArguments, entry, 'get', url, 'slow.bin'], { cwd: work, timeout: 60_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      const { code, terminal } = JSON.parse(output) as { code: number; terminal: string };
      assert.ok(terminal.includes(hideCursor), `the bars hid the cursor: ${JSON.stringify(terminal.slice(0, 300))}`);
      assert.ok(terminal.lastIndexOf(showCursor) > terminal.lastIndexOf(hideCursor), `the cursor is shown again at the end: ${JSON.stringify(terminal.slice(-300))}`);
      assert.equal(code, -number, `ended by ${signal}`);
    });
  }
});
