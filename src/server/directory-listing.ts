/**
 * LIST, NLST, MLSD, MLST and STAT <path>: what to list and how each format renders it.
 * Listing formats themselves live in protocol/listing (shared with the client).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Account } from '../auth/authenticator.js';
import { compareEntryNames, type FileEntry } from '../protocol/listing/file-entry.js';
import { formatMlsxLine, type MlsxFormatOptions } from '../protocol/listing/mlsx.js';
import { toSingleLineText } from '../protocol/listing/single-line-text.js';
import { unixListLineMaxBytes, writeUnixListLine } from '../protocol/listing/unix-list.js';
import { ReplyCode } from '../protocol/reply-code.js';
import { baseName, type VirtualPath } from '../protocol/virtual-path.js';
import type { FileStat } from '../storage/storage.js';
import type { CommandContext } from './command-context.js';
import { CommandError } from './errors.js';

/** Listing formats the data-connection listing commands produce. */
export type ListingKind = 'list' | 'nlst' | 'mlsd';

/**
 * Split a LIST/NLST argument into ls-style options and the path: "-la /dir" → path "/dir".
 * Like vsftpd, a leading "-word" is taken as options (a file named "-x" is reached as "./-x").
 */
export function splitListArgument(argument: string): { options: string; path: string } {
  let rest = argument;
  let options = '';
  while (/^-[A-Za-z0-9]+(\s|$)/.test(rest)) {
    const match = /^(-[A-Za-z0-9]+)\s*/.exec(rest)!;
    options += match[1]!.slice(1);
    rest = rest.slice(match[0].length);
  }
  return { options, path: rest };
}

/** RFC 3659 §7.5.5 perm fact for an entry, from the account's permissions. */
export function permFact(entry: FileEntry, account: Account): string {
  const can = (permission: Parameters<Account['permissions']['has']>[0]) => account.permissions.has(permission);
  let perm = '';
  if (entry.type === 'directory') {
    perm += 'e';
    if (can('list')) perm += 'l';
    if (can('write')) perm += 'c';
    if (can('mkdir')) perm += 'm';
    if (can('delete')) perm += 'dp';
    if (can('rename')) perm += 'f';
  } else {
    if (can('append')) perm += 'a';
    if (can('delete')) perm += 'd';
    if (can('rename')) perm += 'f';
    if (can('read')) perm += 'r';
    if (can('write')) perm += 'w';
  }
  return perm;
}

/** Names a listing leaves out unless asked for all (ls -a): dot files. */
function isVisibleName(name: string): boolean {
  return !name.startsWith('.');
}

function includeEveryName(): boolean {
  return true;
}

/** The entries a listing command shows: a directory's children (sorted), or a single file. */
export async function collectEntries(context: CommandContext, path: VirtualPath, showHidden: boolean): Promise<{ entries: FileStat[]; isDirectory: boolean }> {
  const account = context.requireAccount();
  return entriesOf(context, account, path, await account.storage.stat(path), showHidden);
}

async function entriesOf(context: CommandContext, account: Account, path: VirtualPath, stat: FileStat, showHidden: boolean): Promise<{ entries: FileStat[]; isDirectory: boolean }> {
  if (stat.type !== 'directory') return { entries: [{ ...stat, name: baseName(path) }], isDirectory: false };
  let entries = await account.storage.list(path);
  if (!showHidden) entries = entries.filter((entry) => isVisibleName(entry.name));
  refuseOverLimit(context, entries.length);
  entries.sort(compareEntryNames);
  return { entries, isDirectory: true };
}

function refuseOverLimit(context: CommandContext, count: number): void {
  const limit = context.config.limits.maxListingEntries;
  if (count > limit) throw new CommandError(ReplyCode.LocalErrorInProcessing, `Directory has more than ${limit} entries; listing refused.`);
}

/** One entry's line (without CRLF) in a listing format; `mlsxOptions` gives MLSx options by entry. */
function listingLine(kind: 'nlst' | 'mlsd', entry: FileStat, mlsxOptions: (entry: FileStat) => MlsxFormatOptions, displayPrefix: string): string {
  // SECURITY: a name with CR or LF would forge extra NLST lines (hunt t12_names); LIST and MLSD
  // already go through the same replacement.
  if (kind === 'nlst') return toSingleLineText(displayPrefix + entry.name);
  return formatMlsxLine(entry, mlsxOptions(entry));
}

/**
 * The MLSx options for each entry of one listing. The perm fact depends only on the account and on
 * whether the entry is a directory, so two option objects serve the whole listing.
 */
function mlsxOptionsFor(account: Account, context: CommandContext): (entry: FileStat) => MlsxFormatOptions {
  const optionsOf = (sample: FileStat): MlsxFormatOptions =>
    context.state.mlstFacts ? { perm: permFact(sample, account), requestedFacts: context.state.mlstFacts } : { perm: permFact(sample, account) };
  let forDirectories: MlsxFormatOptions | undefined;
  let forOthers: MlsxFormatOptions | undefined;
  return (entry) => (entry.type === 'directory' ? (forDirectories ??= optionsOf(entry)) : (forOthers ??= optionsOf(entry)));
}

/**
 * Render entries in a listing format as the bytes sent: one CRLF-terminated UTF-8 line each,
 * written straight into one Buffer (for 10,000 entries, joining the line strings and encoding the
 * result took longer than formatting them). Cutting an already-read listing into chunks to send
 * while rendering measured no faster; what pays is sending each batch while the storage still
 * reads the next (sendListingInBatches). `now` decides "recent" for every batch of one listing.
 */
export function renderListing(kind: ListingKind, entries: readonly FileStat[], account: Account, context: CommandContext, displayPrefix = '', now = new Date()): Buffer {
  const mlsxOptions = mlsxOptionsFor(account, context);
  let bytes = Buffer.allocUnsafe(Math.max(1024, entries.length * 128));
  let length = 0;
  const makeRoom = (needed: number): void => {
    if (length + needed <= bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(bytes.length * 2, length + needed));
    bytes.copy(grown, 0, 0, length);
    bytes = grown;
  };
  for (const entry of entries) {
    if (kind === 'list') {
      // The LIST line goes straight into the buffer: no line string per entry (see writeUnixListLine).
      makeRoom(unixListLineMaxBytes(entry) + 2);
      length = writeUnixListLine(entry, now, bytes, length);
    } else {
      const line = listingLine(kind, entry, mlsxOptions, displayPrefix);
      makeRoom(line.length * 3 + 2); // UTF-8 needs at most 3 bytes per UTF-16 unit
      length += bytes.write(line, length);
    }
    bytes[length++] = 0x0d;
    bytes[length++] = 0x0a;
  }
  return bytes.subarray(0, length);
}

const openingText = 'Here comes the directory listing.';
const completionText = 'Directory send OK.';

/** LIST/NLST/MLSD: send a listing over the data connection. */
export async function sendListing(context: CommandContext, kind: ListingKind, argument: string): Promise<void> {
  const account = context.requireAccount();
  const { options, path: pathArgument } = kind === 'mlsd' ? { options: '', path: argument } : splitListArgument(argument);
  const path = context.resolvePath(pathArgument);
  const showHidden = kind === 'mlsd' || options.includes('a');
  const stat = await account.storage.stat(path);
  // NLST of a path names entries relative to how the client asked, as most servers do.
  const prefix = kind === 'nlst' && stat.type === 'directory' && pathArgument && pathArgument !== '.' ? pathArgument.replace(/\/*$/, '/') : '';
  if (stat.type === 'directory' && account.storage.listInOrder) {
    await sendListingInBatches(context, kind, account, path, showHidden, prefix);
    return;
  }
  const { entries, isDirectory } = await entriesOf(context, account, path, stat, showHidden);
  if (kind === 'mlsd' && !isDirectory) throw new CommandError(ReplyCode.FileUnavailable, 'Not a directory.');
  // NLST of one file names it as the client asked; it is still rendered by listingLine.
  const rendered = kind === 'nlst' && !isDirectory ? [{ ...entries[0]!, name: pathArgument || entries[0]!.name }] : entries;
  const bytes = renderListing(kind, rendered, account, context, prefix);
  const outcome = await context.transfers.run({
    direction: 'download',
    openingText,
    completionText,
    move: async (socket, signal) => {
      // Listings are already CRLF text; TYPE A conversion leaves CRLF alone, so no transform is needed.
      await pipeline(Readable.from([bytes]), socket, { signal });
      return socket.bytesWritten;
    },
  });
  context.log.info({ transfer: kind, path, entries: entries.length, outcome: outcome.status }, 'listing');
}

/**
 * A directory listed in order by its storage, batch by batch: each batch is rendered and sent
 * while the storage reads the next ones, and the first are read while the data connection opens.
 * LIST of 10,000 files: the stats (~20 ms on two threads) overlap rendering (~4 ms) and sending
 * (~3 ms) instead of coming before them.
 */
async function sendListingInBatches(context: CommandContext, kind: ListingKind, account: Account, path: VirtualPath, showHidden: boolean, prefix: string): Promise<void> {
  const listing = await account.storage.listInOrder!(path, showHidden ? includeEveryName : isVisibleName);
  try {
    refuseOverLimit(context, listing.count);
    const now = new Date();
    async function* rendered(): AsyncGenerator<Buffer> {
      for await (const batch of listing.batches) yield renderListing(kind, batch, account, context, prefix, now);
    }
    const outcome = await context.transfers.run({
      direction: 'download',
      openingText,
      completionText,
      move: async (socket, signal) => {
        await pipeline(Readable.from(rendered()), socket, { signal });
        return socket.bytesWritten;
      },
    });
    context.log.info({ transfer: kind, path, entries: listing.count, outcome: outcome.status }, 'listing');
  } finally {
    listing.close();
  }
}

/** MLST: facts of one path on the control connection (RFC 3659 §7.2). */
export async function describePath(context: CommandContext, path: VirtualPath): Promise<string> {
  const account = context.requireAccount();
  const stat = await account.storage.stat(path);
  const options = context.state.mlstFacts ? { perm: permFact(stat, account), requestedFacts: context.state.mlstFacts } : { perm: permFact(stat, account) };
  return formatMlsxLine(stat, options, path);
}

