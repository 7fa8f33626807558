/**
 * Run third-party tools (curl, lftp, python3) from interop tests: always asynchronous (the server
 * under test runs in this same process, so a blocking spawnSync would deadlock it), always with a
 * timeout, and killed when the test ends.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

/** Debian's interpreter: ftplib is in its stdlib, and a pyenv `python3` on PATH may differ. */
export const systemPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** What a finished child process produced. */
export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly isTimedOut: boolean;
}

/** Options for one run. */
export interface RunOptions {
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** Spawn `command`, resolve when it exits; SIGKILL after `timeoutMs` or when the test ends. */
export function runProcess(t: TestContext, command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let isTimedOut = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  t.after(kill);
  const timer = setTimeout(() => {
    isTimedOut = true;
    kill();
  }, options.timeoutMs ?? 30_000);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        isTimedOut,
      });
    });
  });
}

/** Describe a result for assertion messages. */
export function describeResult(command: string, result: ProcessResult): string {
  const status = result.isTimedOut ? 'timed out' : `exit ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}`;
  return `${command}: ${status}\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`;
}
