/**
 * Machine-readable listings, RFC 3659 §7 (MLST on the control connection, MLSD on the data
 * connection), and the timestamp syntax RFC 3659 §2.3 shares with MDTM and MFMT.
 */
import { defaultModeOf, type FileEntry, type FileType } from './file-entry.js';
import { toSingleLineText } from './single-line-text.js';
import { makeUtcDate } from './utc-date.js';

/** The facts Ferry can produce, in the order it writes them (RFC 3659 §7.5, §7.6 for unix.mode). */
export const supportedMlsxFacts: readonly string[] = ['type', 'size', 'modify', 'perm', 'unique', 'unix.mode'];

/** Options for {@link formatMlsxFacts}. */
export interface MlsxFormatOptions {
  /** The perm fact value (RFC 3659 §7.5.5), e.g. "adfrw"; computed by the server from the account. */
  readonly perm: string;
  /** Facts selected with OPTS MLST (lower-case or not); all supported facts when absent. */
  readonly requestedFacts?: ReadonlySet<string>;
}

/** Options for {@link formatFtpTimestamp}. */
export interface FtpTimestampFormatOptions {
  /** Append ".sss" when the milliseconds are not zero (RFC 3659 §2.3 allows a fraction). */
  readonly includeMilliseconds?: boolean;
}

/**
 * `YYYYMMDDHHMMSS` in UTC (RFC 3659 §2.3), optionally with `.sss`. Throws RangeError for an invalid
 * date or a year outside 0000–9999, which the syntax cannot express.
 */
export function formatFtpTimestamp(date: Date, options: FtpTimestampFormatOptions = {}): string {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError('date cannot be written as an FTP timestamp');
  }
  const text =
    (year >= 1000 ? String(year) : String(year).padStart(4, '0')) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds());
  const milliseconds = date.getUTCMilliseconds();
  if (options.includeMilliseconds && milliseconds !== 0) return `${text}.${String(milliseconds).padStart(3, '0')}`;
  return text;
}

/**
 * Parse `YYYYMMDDHHMMSS[.fraction]` (RFC 3659 §2.3, always UTC). Returns null for any other text
 * or an impossible date (year 0000, month 13, 30 February, hour 24). Digits past milliseconds are dropped.
 */
export function parseFtpTimestamp(text: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) return null;
  const fields = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // The Gregorian calendar has no year 0 (1 BC is followed by AD 1); "0000…" is a placeholder,
  // never a time, and MFMT must not set it (hunt t3_fsops).
  if (fields[0] === 0) return null;
  const milliseconds = match[7] ? Number(match[7].slice(0, 3).padEnd(3, '0')) : 0;
  return makeUtcDate(...fields, milliseconds);
}

function mlsxType(type: FileType, linkTarget: string | undefined): string {
  if (type === 'directory') return 'dir';
  if (type === 'file') return 'file';
  if (type === 'symlink') {
    // RFC 3659 §7.5.1 allows OS-specific types; "OS.unix=slink:<target>" is what FileZilla,
    // basic-ftp and ProFTPD understand. A target that would break the fact syntax is left out.
    return linkTarget !== undefined && !/[;\s\0]/.test(linkTarget) ? `OS.unix=slink:${linkTarget}` : 'OS.unix=symlink';
  }
  return 'OS.unix=unknown';
}

function two(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

const factBreakingPattern = /[;\s\0]/;

/** Fact values are delimited by ";" and end at the space before the name (RFC 3659 §7.2). */
function factValue(text: string): string {
  return factBreakingPattern.test(text) ? text.replace(/[;\s\0]/g, '') : text;
}

/** All supported facts: the selection when the client made none (shared, never mutated). */
const allFacts: ReadonlySet<string> = new Set(supportedMlsxFacts);

/**
 * The fact string for one entry, e.g. `type=file;size=12;modify=20240101120000;perm=adfrw;unix.mode=0644;`.
 * Only requested facts are written (names compared case-insensitively); size only for files,
 * modify and unique only when known.
 */
export function formatMlsxFacts(entry: FileEntry, options: MlsxFormatOptions): string {
  const requested = options.requestedFacts ? lowerCased(options.requestedFacts) : allFacts;
  // One string built in order, with the facts neighbouring entries share cached: a listing
  // formats thousands of these in a row (an array, a closure and a template per fact were
  // ~1.3 KB of garbage per entry).
  let facts = '';
  if (requested.has('type')) facts += typeFact(entry.type, entry.linkTarget);
  if (entry.type === 'file' && requested.has('size')) facts += `size=${Number.isFinite(entry.size) && entry.size > 0 ? Math.trunc(entry.size) : 0};`;
  if (entry.modifiedAt && requested.has('modify')) facts += modifyFact(entry.modifiedAt);
  if (requested.has('perm')) facts += permFactText(options.perm);
  if (entry.uniqueId !== undefined && requested.has('unique')) {
    const unique = factValue(entry.uniqueId);
    if (unique !== '') facts += `unique=${unique};`;
  }
  if (requested.has('unix.mode')) facts += unixModeFact((entry.mode ?? defaultModeOf(entry.type)) & 0o7777);
  return facts;
}

function typeFact(type: FileType, linkTarget: string | undefined): string {
  if (type === 'file') return 'type=file;';
  if (type === 'directory') return 'type=dir;';
  return `type=${mlsxType(type, linkTarget)};`;
}

let lastModifiedMs = Number.NaN;
let lastModifyFact = '';

/** "modify=YYYYMMDDHHMMSS;", or nothing for a date that has no FTP timestamp; the last one is kept. */
function modifyFact(date: Date): string {
  const time = date.getTime();
  if (time !== lastModifiedMs) {
    const timestamp = tryFormatTimestamp(date);
    lastModifyFact = timestamp === undefined ? '' : `modify=${timestamp};`;
    lastModifiedMs = time;
  }
  return lastModifyFact;
}

let lastPerm: string | undefined;
let lastPermFact = '';

/** "perm=...;" for the listing's perm value (one or two values per listing). */
function permFactText(perm: string): string {
  if (perm !== lastPerm) {
    lastPermFact = `perm=${factValue(perm)};`;
    lastPerm = perm;
  }
  return lastPermFact;
}

/** "unix.mode=0644;" texts already made (at most 4096). */
const unixModeFacts = new Map<number, string>();

function unixModeFact(mode: number): string {
  let fact = unixModeFacts.get(mode);
  if (fact === undefined) {
    fact = `unix.mode=${mode.toString(8).padStart(4, '0')};`;
    unixModeFacts.set(mode, fact);
  }
  return fact;
}

/** Lower-cased copy of a fact selection, cached for the last selection seen (one per listing). */
let lastSelection: ReadonlySet<string> | null = null;
let lastLowerCased: ReadonlySet<string> = allFacts;
function lowerCased(selection: ReadonlySet<string>): ReadonlySet<string> {
  if (selection !== lastSelection) {
    lastLowerCased = new Set([...selection].map((fact) => fact.toLowerCase()));
    lastSelection = selection;
  }
  return lastLowerCased;
}

function tryFormatTimestamp(date: Date): string | undefined {
  try {
    return formatFtpTimestamp(date);
  } catch {
    return undefined;
  }
}

/**
 * One MLSD line (or MLST line without its leading space): facts, one space, the name
 * (RFC 3659 §7.2). CR, LF and NUL in the name are replaced so the entry stays one line.
 */
export function formatMlsxLine(entry: FileEntry, options: MlsxFormatOptions, name: string = entry.name): string {
  return formatMlsxFacts(entry, options) + ' ' + toSingleLineText(name);
}

/** The FEAT line advertising MLST (RFC 3659 §7.8): every supported fact, "*" on the enabled ones. */
export function formatMlstFeatLine(enabled: ReadonlySet<string>): string {
  const enabledLower = new Set([...enabled].map((fact) => fact.toLowerCase()));
  return `MLST ${supportedMlsxFacts.map((fact) => `${fact}${enabledLower.has(fact) ? '*' : ''};`).join('')}`;
}

/**
 * The facts selected by `OPTS MLST <facts>` (RFC 3659 §7.9): lower-cased, unsupported names
 * ignored, an empty list selecting none. Accepts the argument with or without the "MLST" word.
 */
export function parseOptsMlst(argument: string): Set<string> {
  const list = argument.replace(/^\s*MLST(?:\s+|$)/i, '').trim();
  const selected = new Set<string>();
  for (const name of list.split(';')) {
    const fact = name.trim().toLowerCase();
    if (supportedMlsxFacts.includes(fact)) selected.add(fact);
  }
  return selected;
}

/** A parsed MLSD/MLST entry with every fact as sent (names lower-cased). */
export type MlsxEntry = FileEntry & { readonly facts: Readonly<Record<string, string>> };

function typeFromFact(value: string | undefined): { type: FileType; linkTarget?: string } {
  const lower = (value ?? '').toLowerCase();
  if (lower === 'file') return { type: 'file' };
  if (lower === 'dir' || lower === 'cdir' || lower === 'pdir') return { type: 'directory' };
  if (lower.startsWith('os.unix=slink')) {
    const target = value!.slice('os.unix=slink'.length);
    return target.startsWith(':') && target.length > 1 ? { type: 'symlink', linkTarget: target.slice(1) } : { type: 'symlink' };
  }
  if (lower === 'os.unix=symlink') return { type: 'symlink' };
  return { type: 'unknown' };
}

function nonNegativeInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * Where the facts end. RFC 3659 §7.2 ends them with ";" and one space, so the first space is the
 * separator; some servers put spaces inside values (owner names), then the first "; " is.
 */
function factsEnd(body: string): number {
  const firstSpace = body.indexOf(' ');
  if (firstSpace <= 0 || body[firstSpace - 1] === ';') return firstSpace;
  const semicolonSpace = body.indexOf('; ');
  return semicolonSpace === -1 ? firstSpace : semicolonSpace + 1;
}

/**
 * Parse one MLSD line, or an MLST line from the control connection (its leading space is
 * tolerated). Returns null unless the line has at least one `name=value` fact. `type=cdir` and
 * `type=pdir` come back as directories with `facts.type` kept so callers can skip them;
 * `OS.unix=slink:<target>` is a symlink. The name is returned as given; never throws.
 */
export function parseMlsxLine(line: string): MlsxEntry | null {
  const body = line.startsWith(' ') ? line.slice(1) : line;
  const separator = factsEnd(body);
  if (separator <= 0) return null;
  const name = body.slice(separator + 1);
  if (name === '') return null;
  // A null-prototype record: a fact named "__proto__" or "constructor" is just a fact.
  const facts: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const fact of body.slice(0, separator).split(';')) {
    if (fact === '') continue;
    const equals = fact.indexOf('=');
    const factName = fact.slice(0, equals);
    if (equals <= 0 || !/^[^\s=;]+$/.test(factName)) return null;
    facts[factName.toLowerCase()] = fact.slice(equals + 1);
  }
  if (Object.keys(facts).length === 0) return null;
  const { type, linkTarget } = typeFromFact(facts['type']);
  const entry: { -readonly [K in keyof MlsxEntry]: MlsxEntry[K] } = {
    name,
    type,
    size: nonNegativeInteger(facts['size']) ?? nonNegativeInteger(facts['sizd']) ?? 0,
    facts,
  };
  const modifiedAt = facts['modify'] !== undefined ? parseFtpTimestamp(facts['modify']) : null;
  if (modifiedAt) entry.modifiedAt = modifiedAt;
  const modeText = facts['unix.mode'];
  if (modeText !== undefined && /^[0-7]{1,6}$/.test(modeText)) entry.mode = parseInt(modeText, 8) & 0o7777;
  if (linkTarget !== undefined) entry.linkTarget = linkTarget;
  const owner = facts['unix.ownername'] ?? facts['unix.owner'] ?? facts['unix.uid'];
  const group = facts['unix.groupname'] ?? facts['unix.group'] ?? facts['unix.gid'];
  if (owner !== undefined) entry.owner = owner;
  if (group !== undefined) entry.group = group;
  if (facts['unique'] !== undefined) entry.uniqueId = facts['unique'];
  return entry;
}
