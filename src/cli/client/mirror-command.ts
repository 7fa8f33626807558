/** `ferry mirror URL DIR` (download a tree) and `ferry mirror --reverse DIR URL` (upload a tree). */
import type { Command } from 'commander';
import { mirrorDownload, mirrorUpload, type MirrorEvent } from '../../client/mirror.js';
import { parseFtpUrl } from './ftp-url.js';
import { clientFactory, describeRetry, resolveCredentials, type ClientCommandOptions } from './client-session.js';
import { parseCount, withClientOptions } from './client-command-options.js';
import { createTransferDisplay, formatBytes, printableName, type TransferDisplay } from './transfer-display.js';

interface MirrorCommandOptions extends ClientCommandOptions {
  readonly reverse?: boolean;
  readonly parallel?: number;
}

/** Register `mirror`. */
export function registerMirrorCommand(program: Command): void {
  withClientOptions(
    program
      .command('mirror')
      .description('copy a directory tree, skipping files with the same size and modification time')
      .argument('<source>', 'ftp:// URL (or local directory with --reverse)')
      .argument('<target>', 'local directory (or ftp:// URL with --reverse)')
      .option('-R, --reverse', 'upload: local directory to server')
      .option('-P, --parallel <n>', 'transfer this many files at once', parseCount, 1),
  ).action(async (source: string, target: string, options: MirrorCommandOptions) => {
    const url = parseFtpUrl(options.reverse ? target : source);
    const credentials = await resolveCredentials(url, options);
    const display = createTransferDisplay(options);
    const mirrorOptions = {
      connect: clientFactory(url, credentials, options),
      parallel: Math.max(1, options.parallel ?? 1),
      retries: options.retries ?? 0,
      onEvent: (event: MirrorEvent) => showEvent(display, event),
    };
    let summary;
    try {
      summary = options.reverse ? await mirrorUpload(source, url.path || '.', mirrorOptions) : await mirrorDownload(url.path || '.', target, mirrorOptions);
    } finally {
      display.stop();
    }
    if (!options.quiet) {
      process.stderr.write(
        `mirror: ${summary.transferredFiles} copied (${formatBytes(summary.transferredBytes)}), ${summary.skippedFiles} skipped, ` +
          `${summary.failures.length} failed, ${summary.refusedNames.length} unsafe names refused\n`,
      );
    }
    const problems = summary.failures.length + summary.refusedNames.length;
    if (problems > 0) {
      const first = summary.failures[0];
      throw new Error(
        first
          ? `${summary.failures.length} file(s) failed, first ${printableName(first.path)}: ${first.error.message}`
          : `${summary.refusedNames.length} unsafe name(s) refused, first ${printableName(summary.refusedNames[0]!)}`,
      );
    }
  });
}

function showEvent(display: TransferDisplay, event: MirrorEvent): void {
  switch (event.kind) {
    case 'planned':
      display.setOverall(event.totalBytes, event.files);
      break;
    case 'file-start':
      display.start(event.path, event.totalBytes);
      break;
    case 'file-progress':
      display.update(event.path, event.progress);
      break;
    case 'file-done':
      display.finish(event.path, event.transferredBytes);
      break;
    case 'file-retry':
      display.log(describeRetry(event.attempt, event.delayMs, event.error, printableName(event.path)));
      break;
    case 'file-failed':
      display.log(`failed ${printableName(event.path)}: ${event.error.message}`);
      break;
    case 'name-refused':
      display.log(`refused ${event.error.message} in ${printableName(event.directory)}`);
      break;
    case 'file-skipped':
      // Identical files are the normal case and stay quiet; a directory not entered is worth a line.
      if (event.reason === 'directory already visited') {
        display.log(`skipped ${printableName(event.path)}: same directory as ${printableName(event.sameAs ?? '?')} (a link or loop)`);
      }
      break;
  }
}
