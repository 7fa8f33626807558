/** `ferry put FILE... URL`: upload files; into the URL's directory when it ends with "/" or several files are given. */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { joinRemotePath } from '../../client/remote-path.js';
import { parseFtpUrl } from './ftp-url.js';
import { clientFactory, describeRetry, resolveCredentials, withClient, type ClientCommandOptions } from './client-session.js';
import { withClientOptions } from './client-command-options.js';
import { createTransferDisplay } from './transfer-display.js';

interface PutOptions extends ClientCommandOptions {
  readonly continue?: boolean;
}

/** Register `put`. */
export function registerPutCommand(program: Command): void {
  withClientOptions(
    program
      .command('put')
      .description('upload files')
      .argument('<files-and-url...>', 'local files followed by the destination ftp:// URL')
      .option('-c, --continue', 'resume: append what the server is missing (APPE)'),
  ).action(async (items: string[], options: PutOptions) => {
    if (items.length < 2) throw new Error('put needs at least one file and a destination URL');
    const url = parseFtpUrl(items[items.length - 1]!);
    const files = items.slice(0, -1);
    const intoDirectory = files.length > 1 || url.path === '' || url.path.endsWith('/');
    const credentials = await resolveCredentials(url, options);
    const display = createTransferDisplay(options);
    try {
      for (const file of files) {
        const remotePath = intoDirectory ? joinRemotePath(url.path, basename(file)) : url.path;
        await withClient(
          clientFactory(url, credentials, options),
          options.retries ?? 0,
          async (client, attempt) => {
            display.start(basename(file), undefined);
            const result = await client.upload(file, remotePath, {
              resume: options.continue === true || attempt > 0,
              onProgress: (progress) => display.update(basename(file), progress),
            });
            display.finish(basename(file), result.transferredBytes, result.startOffset > 0 ? `resumed at ${result.startOffset}` : undefined);
          },
          (error, attempt, delayMs) => display.log(describeRetry(attempt, delayMs, error)),
        );
      }
    } finally {
      display.stop();
    }
  });
}
