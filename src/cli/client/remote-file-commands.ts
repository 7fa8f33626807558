/** `ferry mkdir URL`, `ferry rm URL`, `ferry mv URL NEWNAME`: one remote operation each. */
import type { Command } from 'commander';
import { parseFtpUrl } from './ftp-url.js';
import { clientFactory, resolveCredentials, withClient, type ClientCommandOptions } from './client-session.js';
import { withClientOptions } from './client-command-options.js';
import type { FtpClient } from '../../client/ftp-client.js';

async function runOnUrl(urlText: string, options: ClientCommandOptions, task: (client: FtpClient, path: string) => Promise<unknown>): Promise<void> {
  const url = parseFtpUrl(urlText);
  if (url.path === '') throw new Error('the URL needs a path');
  const credentials = await resolveCredentials(url, options);
  await withClient(clientFactory(url, credentials, options), options.retries ?? 0, (client) => task(client, url.path.replace(/\/$/, '')));
}

/** Register `mkdir`, `rm` and `mv`. */
export function registerRemoteFileCommands(program: Command): void {
  withClientOptions(
    program.command('mkdir').description('create a remote directory').argument('<url>').option('-p, --parents', 'create missing parents; no error if it exists'),
  ).action((urlText: string, options: ClientCommandOptions & { parents?: boolean }) =>
    runOnUrl(urlText, options, (client, path) => client.mkdir(path, { recursive: options.parents === true })),
  );

  withClientOptions(
    program
      .command('rm')
      .description('remove a remote file, or a directory with -r')
      .argument('<url>')
      .option('-r, --recursive', 'remove a directory and everything in it'),
  ).action((urlText: string, options: ClientCommandOptions & { recursive?: boolean }) =>
    runOnUrl(urlText, options, (client, path) =>
      options.recursive ? client.removeDirectory(path, { recursive: true }) : client.remove(path),
    ),
  );

  withClientOptions(
    program
      .command('mv')
      .description('rename or move a remote file or directory')
      .argument('<url>')
      .argument('<newname>', 'new path; relative to the source directory unless it starts with "/"'),
  ).action((urlText: string, newName: string, options: ClientCommandOptions) =>
    runOnUrl(urlText, options, (client, path) => {
      const directory = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
      return client.rename(path, newName.startsWith('/') ? newName : directory + newName);
    }),
  );
}
