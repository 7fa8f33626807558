/**
 * Whole-listing parsing for clients: LIST output has no declared format (RFC 959 §4.1.3), so each
 * line is recognised on its own — Unix `ls -l`, DOS/IIS, or MLSD facts (RFC 3659 §7).
 */
import { parseDosListLine } from './dos-list.js';
import type { FileEntry } from './file-entry.js';
import { parseMlsxLine } from './mlsx.js';
import { parseUnixListLine } from './unix-list.js';

/** A listing line format. */
export type ListingFormat = 'mlsd' | 'unix' | 'dos' | 'unknown';

/** Options for {@link parseListing}. */
export interface ParseListingOptions {
  /** The clock used to place year-less Unix dates; defaults to the current time. */
  readonly now?: Date;
}

/** Split listing text into lines at CRLF or bare LF. */
export function splitListingLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Unix lines are tried first: their mode column can never be taken for a fact or a DOS date. */
function parseLine(line: string, now: Date): { format: ListingFormat; entry: FileEntry } | null {
  const unix = parseUnixListLine(line, now);
  if (unix) return { format: 'unix', entry: unix };
  const dos = parseDosListLine(line);
  if (dos) return { format: 'dos', entry: dos };
  const mlsx = parseMlsxLine(line);
  if (mlsx) {
    const { facts, ...entry } = mlsx;
    const factType = (facts['type'] ?? '').toLowerCase();
    // cdir/pdir name the listed directory and its parent, not entries in it (RFC 3659 §7.5.1).
    if (factType === 'cdir' || factType === 'pdir') return null;
    return { format: 'mlsd', entry };
  }
  return null;
}

/** The format of the first line that parses as an entry, or 'unknown'. */
export function detectListingFormat(lines: readonly string[], now: Date = new Date()): ListingFormat {
  for (const line of lines) {
    const unix = parseUnixListLine(line, now);
    if (unix) return 'unix';
    if (parseDosListLine(line)) return 'dos';
    if (parseMlsxLine(line)) return 'mlsd';
  }
  return 'unknown';
}

/**
 * Parse LIST or MLSD output into entries, in order. Blank lines, "total N", unparseable lines,
 * "." and ".." and MLSD cdir/pdir entries are skipped. Names are returned as the server sent
 * them — validate before using one as a local path. Never throws.
 */
export function parseListing(text: string, options: ParseListingOptions = {}): FileEntry[] {
  const now = options.now ?? new Date();
  const entries: FileEntry[] = [];
  for (const line of splitListingLines(text)) {
    if (line.trim() === '') continue;
    const parsed = parseLine(line, now);
    if (!parsed || parsed.entry.name === '.' || parsed.entry.name === '..') continue;
    entries.push(parsed.entry);
  }
  return entries;
}
