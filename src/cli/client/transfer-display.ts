/**
 * What the user sees during transfers: progress bars (file, bytes, rate, ETA, and an overall bar
 * for mirrors) on a terminal; one plain summary line per file otherwise; nothing with --quiet.
 * Everything goes to stderr so stdout stays clean for `ferry get URL -` and `ferry ls`.
 */
import cliProgress from 'cli-progress';
import type { TransferProgress } from '../../client/transfer.js';

/** Shows the progress of one or more transfers. */
export interface TransferDisplay {
  /** A file transfer begins. */
  start(label: string, totalBytes: number | undefined): void;
  /** Progress for a started file. */
  update(label: string, progress: TransferProgress): void;
  /** A file transfer finished; prints its summary line in plain mode. */
  finish(label: string, transferredBytes: number, note?: string): void;
  /** Overall totals for a mirror (its overall bar). */
  setOverall(totalBytes: number, files: number): void;
  /** A message that must not tear a bar (warnings). */
  log(message: string): void;
  /** Remove the bars. */
  stop(): void;
}

/** Pick the display for this terminal and flags. */
export function createTransferDisplay(options: { quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): TransferDisplay {
  if (options.quiet) return quietDisplay;
  return stream.isTTY ? new BarDisplay(stream) : new PlainDisplay(stream);
}

const quietDisplay: TransferDisplay = {
  start: () => undefined,
  update: () => undefined,
  finish: () => undefined,
  setOverall: () => undefined,
  log: () => undefined,
  stop: () => undefined,
};

/** "1.5 MiB": sizes in binary units, as ls -h and lftp print them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Control characters in server-supplied names could drive the terminal; show them escaped. */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f-\x9f]/.test(name) ? JSON.stringify(name) : name;
}

class PlainDisplay implements TransferDisplay {
  private readonly startedAt = new Map<string, number>();
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(label: string): void {
    this.startedAt.set(label, performance.now());
  }
  update(): void {}
  finish(label: string, transferredBytes: number, note?: string): void {
    const seconds = Math.max((performance.now() - (this.startedAt.get(label) ?? performance.now())) / 1000, 0.001);
    this.startedAt.delete(label);
    const rate = `${formatBytes(Math.round(transferredBytes / seconds))}/s`;
    this.stream.write(`${printableName(label)}: ${formatBytes(transferredBytes)} in ${seconds.toFixed(1)} s (${rate})${note ? `, ${note}` : ''}\n`);
  }
  setOverall(): void {}
  log(message: string): void {
    this.stream.write(`${message}\n`);
  }
  stop(): void {}
}

/** Signals whose default action ends the process at once, without any `finally` running. */
const terminatingSignals = ['SIGINT', 'SIGTERM'] as const;

class BarDisplay implements TransferDisplay {
  private readonly bars: cliProgress.MultiBar;
  private isStopped = false;
  private readonly fileBars = new Map<string, cliProgress.SingleBar>();
  private overall: cliProgress.SingleBar | null = null;
  private overallDone = 0;
  private readonly fileDone = new Map<string, number>();

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        clearOnComplete: false,
        hideCursor: true,
        format: '{name} |{bar}| {percentage}% {done}/{size} {rate} ETA {eta_formatted}',
        formatValue: (value, _options, type) => String(value),
      },
      cliProgress.Presets.shades_classic,
    );
    for (const signal of terminatingSignals) process.on(signal, this.onTerminatingSignal);
  }
  start(label: string, totalBytes: number | undefined): void {
    const bar = this.bars.create(totalBytes ?? 0, 0, this.payload(label, 0, totalBytes, 0));
    this.fileBars.set(label, bar);
  }
  update(label: string, progress: TransferProgress): void {
    const bar = this.fileBars.get(label);
    bar?.setTotal(progress.totalBytes ?? progress.bytes);
    bar?.update(progress.bytes, this.payload(label, progress.bytes, progress.totalBytes, progress.bytesPerSecond));
    if (this.overall) {
      const previous = this.fileDone.get(label) ?? 0;
      this.fileDone.set(label, progress.transferredBytes);
      this.overallDone += progress.transferredBytes - previous;
      this.overall.update(this.overallDone, { done: formatBytes(this.overallDone) });
    }
  }
  finish(label: string): void {
    const bar = this.fileBars.get(label);
    if (bar) {
      bar.stop();
      this.bars.remove(bar);
      this.fileBars.delete(label);
    }
    this.fileDone.delete(label);
  }
  setOverall(totalBytes: number, files: number): void {
    this.overall = this.bars.create(totalBytes, 0, {
      name: `all ${files} files`.padEnd(24).slice(0, 24),
      done: formatBytes(0),
      size: formatBytes(totalBytes),
      rate: '',
    });
  }
  log(message: string): void {
    this.bars.log(`${message}\n`);
  }
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    for (const signal of terminatingSignals) process.off(signal, this.onTerminatingSignal);
    this.bars.stop();
  }
  /**
   * Ctrl-C or a kill during a transfer: the bars hid the cursor (hideCursor), and the signal's
   * default action would end the process with the terminal's cursor still hidden. Stop the bars
   * (which writes the show-cursor sequence; TTY writes are synchronous), then raise the signal
   * again with no listener left, so the process still ends by that signal (exit status 130/143).
   * cli-progress's own gracefulExit stops the bars but then keeps the process running.
   */
  private readonly onTerminatingSignal = (signal: NodeJS.Signals): void => {
    this.stop();
    process.kill(process.pid, signal);
  };
  private payload(label: string, bytes: number, totalBytes: number | undefined, bytesPerSecond: number) {
    const name = printableName(label);
    return {
      name: (name.length > 24 ? `…${name.slice(-23)}` : name).padEnd(24),
      done: formatBytes(bytes),
      size: totalBytes === undefined ? '?' : formatBytes(totalBytes),
      rate: `${formatBytes(Math.round(bytesPerSecond))}/s`,
    };
  }
}
