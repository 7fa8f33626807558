import { spawn } from 'node:child_process';

/**
 * For tests of bugs that freeze the event loop itself, where no test timeout can fire: a process
 * outside ends this one after `seconds`, so a regression fails instead of hanging the run. Call
 * the returned function once the work is done.
 */
export function startHangWatchdog(seconds: number): () => void {
  const watchdog = spawn('sh', ['-c', `sleep ${seconds}; kill -9 ${process.pid}`], { stdio: 'ignore' });
  return () => watchdog.kill();
}
