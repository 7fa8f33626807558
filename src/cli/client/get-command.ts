/** `ferry get URL [DEST]`: download one file, to a file, a directory, or stdout ("-"). */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { assertSafeName } from '../../client/safe-name.js';
import { parseFtpUrl } from './ftp-url.js';
import { clientFactory, describeRetry, resolveCredentials, withClient, type ClientCommandOptions } from './client-session.js';
import { withClientOptions } from './client-command-options.js';
import { createTransferDisplay } from './transfer-display.js';

interface GetOptions extends ClientCommandOptions {
  readonly continue?: boolean;
}

/** Register `get`. */
export function registerGetCommand(program: Command): void {
  withClientOptions(
    program
      .command('get')
      .description('download a file')
      .argument('<url>', 'ftp[s]://[user[:password]@]host[:port]/path/file')
      .argument('[dest]', 'local file or directory (default: the remote name here; "-" for stdout)')
      .option('-c, --continue', 'resume a partial local file (REST)'),
  ).action(async (urlText: string, dest: string | undefined, options: GetOptions) => {
    const url = parseFtpUrl(urlText);
    const remoteName = url.path.split('/').pop() ?? '';
    if (dest !== '-') {
      // The default local name comes from the URL: it must be a plain file name too.
      const localName = () => assertSafeName(remoteName);
      const isDirectory = dest !== undefined && (await stat(dest).then((stats) => stats.isDirectory(), () => false));
      dest = dest === undefined ? localName() : isDirectory ? join(dest, localName()) : dest;
    }
    const credentials = await resolveCredentials(url, options);
    const display = createTransferDisplay(options);
    const target = dest;
    try {
      await withClient(
        clientFactory(url, credentials, options),
        options.retries ?? 0,
        async (client, attempt) => {
          display.start(remoteName, undefined);
          const destination = target === '-' ? stdoutWithoutEnd() : target;
          const result = await client.download(url.path, destination, {
            resume: options.continue === true || attempt > 0,
            onProgress: (progress) => display.update(remoteName, progress),
          });
          display.finish(remoteName, result.transferredBytes, result.startOffset > 0 ? `resumed at ${result.startOffset}` : undefined);
        },
        (error, attempt, delayMs) => display.log(describeRetry(attempt, delayMs, error)),
      );
    } finally {
      display.stop();
    }
  });
}

/** stdout must not be ended by the download pipeline (Node refuses to close it). */
function stdoutWithoutEnd(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (process.stdout.write(chunk)) callback();
      else process.stdout.once('drain', () => callback());
    },
  });
}
