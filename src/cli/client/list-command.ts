/** `ferry ls URL`: list a remote directory, one entry per line, like `ls -l`. */
import type { Command } from 'commander';
import type { FileEntry } from '../../protocol/listing/file-entry.js';
import { parseFtpUrl } from './ftp-url.js';
import { clientFactory, resolveCredentials, withClient, type ClientCommandOptions } from './client-session.js';
import { withClientOptions } from './client-command-options.js';
import { printableName } from './transfer-display.js';

/** One listing line: type, size, modification time (UTC), name (control characters escaped). */
export function formatListingLine(entry: FileEntry): string {
  const type = entry.type === 'directory' ? 'd' : entry.type === 'symlink' ? 'l' : entry.type === 'file' ? '-' : '?';
  const when = entry.modifiedAt ? entry.modifiedAt.toISOString().slice(0, 16).replace('T', ' ') : '????-??-?? ??:??';
  const link = entry.linkTarget ? ` -> ${printableName(entry.linkTarget)}` : '';
  return `${type} ${String(entry.size).padStart(12)} ${when} ${printableName(entry.name)}${link}`;
}

/** Register `ls`. */
export function registerListCommand(program: Command): void {
  withClientOptions(program.command('ls').description('list a remote directory').argument('<url>', 'ftp[s]://[user[:password]@]host[:port]/path'))
    .action(async (urlText: string, options: ClientCommandOptions) => {
      const url = parseFtpUrl(urlText);
      const credentials = await resolveCredentials(url, options);
      const entries = await withClient(clientFactory(url, credentials, options), options.retries ?? 0, (client) =>
        client.list(url.path === '' ? undefined : url.path),
      );
      const lines = entries.sort((a, b) => a.name.localeCompare(b.name)).map(formatListingLine);
      if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
    });
}
