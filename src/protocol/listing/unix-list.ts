/**
 * The Unix `ls -l` listing format used in LIST replies. RFC 959 §4.1.3 leaves LIST output
 * unspecified; in practice clients (FileZilla, WinSCP, lftp, curl, basic-ftp) parse the `ls -l`
 * columns, so the formatter writes exactly what vsftpd writes and the parser accepts what real
 * servers send (vsftpd, ProFTPD, Pure-FTPd, busybox, GNU ls).
 */
import { defaultModeOf, type FileEntry, type FileType } from './file-entry.js';
import { toSingleLineText } from './single-line-text.js';
import { makeUtcDate } from './utc-date.js';

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const dayMs = 24 * 60 * 60 * 1000;
/** vsftpd (ls.c) and GNU ls switch to the year form for files older than about six months. */
const recentWindowMs = 182 * dayMs;
/** Clock skew between the file's writer and the server: a little future still shows the time. */
const futureToleranceMs = dayMs;

function typeCharacter(type: FileType): string {
  if (type === 'directory') return 'd';
  if (type === 'symlink') return 'l';
  return '-';
}

/** Mode strings already formatted (at most 4096 distinct modes): LIST of 10,000 files reuses them. */
const modeBitsCache = new Map<number, string>();

/** "rwxr-xr-x" for the low nine bits, with setuid/setgid/sticky shown as s/S and t/T like ls. */
export function formatModeBits(mode: number): string {
  const key = mode & 0o7777;
  let text = modeBitsCache.get(key);
  if (text === undefined) {
    text = computeModeBits(key);
    modeBitsCache.set(key, text);
  }
  return text;
}

function computeModeBits(mode: number): string {
  const triple = (shift: number, special: boolean, specialChar: string): string => {
    const bits = (mode >> shift) & 0o7;
    const execute = bits & 0o1;
    let last = execute ? 'x' : '-';
    if (special) last = execute ? specialChar : specialChar.toUpperCase();
    return (bits & 0o4 ? 'r' : '-') + (bits & 0o2 ? 'w' : '-') + last;
  };
  return (
    triple(6, (mode & 0o4000) !== 0, 's') + triple(3, (mode & 0o2000) !== 0, 's') + triple(0, (mode & 0o1000) !== 0, 't')
  );
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function formatListDate(modifiedAt: Date, isRecent: boolean): string {
  const month = monthNames[modifiedAt.getUTCMonth()]!;
  const day = twoDigits(modifiedAt.getUTCDate());
  if (isRecent) return `${month} ${day} ${twoDigits(modifiedAt.getUTCHours())}:${twoDigits(modifiedAt.getUTCMinutes())}`;
  return `${month} ${day} ${String(modifiedAt.getUTCFullYear()).padStart(5, ' ')}`;
}

/*
 * One-entry caches for the parts of a line that neighbouring entries share. A listing renders
 * thousands of lines in a row, most with the same type, mode, owner and group and many with the
 * same minute; reusing the text keeps a 10,000-entry listing from allocating megabytes of string
 * pieces (measured: ~640 bytes per line before, mostly intermediate strings).
 */
let lastHeadType: FileType | '' = '';
let lastHeadOwner: string | undefined;
let lastHeadGroup: string | undefined;
let lastHeadMode = -1;
let lastHead = '';
let lastHeadBytes = Buffer.alloc(0);
let lastDateMinute = Number.NaN;
let lastDateIsRecent = false;
let lastDateColumn = '';
let lastDateColumnBytes = Buffer.alloc(0);

/** "-rw-r--r--    1 ftp      ftp      " for an entry. */
function lineHead(type: FileType, mode: number, owner: string | undefined, group: string | undefined): string {
  // Compared field by field: a key string joined per entry was ~110 bytes of garbage per line.
  if (mode !== lastHeadMode || type !== lastHeadType || owner !== lastHeadOwner || group !== lastHeadGroup) {
    lastHead = `${typeCharacter(type)}${formatModeBits(mode)}    1 ${columnText(owner)} ${columnText(group)} `;
    lastHeadBytes = Buffer.from(lastHead, 'utf8');
    lastHeadType = type;
    lastHeadOwner = owner;
    lastHeadGroup = group;
    lastHeadMode = mode;
  }
  return lastHead;
}

/** " Mar 05 14:03 " (recent) or " Mar 05  2024 " for a time, with the spaces around it. */
function dateColumn(modifiedAt: Date, now: Date): string {
  const time = modifiedAt.getTime();
  const age = now.getTime() - time;
  const isRecent = age < recentWindowMs && age > -futureToleranceMs;
  const minute = Math.floor(time / 60_000);
  if (minute !== lastDateMinute || isRecent !== lastDateIsRecent) {
    lastDateColumn = ` ${formatListDate(modifiedAt, isRecent)} `;
    lastDateColumnBytes = Buffer.from(lastDateColumn, 'latin1'); // month names, digits and spaces
    lastDateMinute = minute;
    lastDateIsRecent = isRecent;
  }
  return lastDateColumn;
}

/** Right-aligned in 8 columns, as ls does; longer sizes push the line wider. */
const sizePadding = ['        ', '       ', '      ', '     ', '    ', '   ', '  ', ' '];

/** Owner and group are columns: a space inside one would shift every column after it. */
function columnText(text: string | undefined): string {
  if (text === undefined || text === 'ftp') return 'ftp     ';
  const cleaned = text.replace(/[\s\0]/g, '_');
  return (cleaned === '' ? 'ftp' : cleaned).padEnd(8);
}

/** The fields of an entry as a LIST line shows them (mode bits, size, a valid time). */
function shownMode(entry: FileEntry): number {
  return (entry.mode ?? defaultModeOf(entry.type)) & 0o7777;
}

function shownSize(entry: FileEntry): number {
  return Number.isFinite(entry.size) && entry.size > 0 ? Math.trunc(entry.size) : 0;
}

function shownTime(entry: FileEntry): Date {
  return entry.modifiedAt && Number.isFinite(entry.modifiedAt.getTime()) ? entry.modifiedAt : new Date(0);
}

/** The target of a symlink as the line shows it after " -> ", or null. */
function shownLinkTarget(entry: FileEntry): string | null {
  return entry.type === 'symlink' && entry.linkTarget !== undefined ? toSingleLineText(entry.linkTarget) : null;
}

/**
 * One LIST line in vsftpd's layout, e.g. `-rw-r--r--    1 ftp      ftp          1234 Mar 05 14:03 name`.
 * Dates are UTC; within the last six months (or up to a day ahead) the time is shown, else the year.
 * Names are written raw (spaces kept); only CR, LF and NUL are replaced so an entry stays one line.
 * writeUnixListLine writes the same line as bytes.
 */
export function formatUnixListLine(entry: FileEntry, now: Date): string {
  const sizeText = String(shownSize(entry));
  const sizeColumn = sizeText.length >= 8 ? sizeText : sizePadding[sizeText.length] + sizeText;
  const target = shownLinkTarget(entry);
  const name = target === null ? toSingleLineText(entry.name) : `${toSingleLineText(entry.name)} -> ${target}`;
  return lineHead(entry.type, shownMode(entry), entry.owner, entry.group) + sizeColumn + dateColumn(shownTime(entry), now) + name;
}

/** Bytes writeUnixListLine may need for an entry (UTF-8 takes at most 3 bytes per UTF-16 unit). */
export function unixListLineMaxBytes(entry: FileEntry): number {
  const texts = entry.name.length + (entry.linkTarget?.length ?? 0) + (entry.owner?.length ?? 0) + (entry.group?.length ?? 0);
  return 80 + texts * 3;
}

/**
 * Write formatUnixListLine's line (without CRLF) into `buffer` at `offset`, which must have room
 * for unixListLineMaxBytes(entry); returns the offset after it. A LIST of 10,000 files wrote each
 * line as a string first: ~300 bytes of short-lived strings per line (the pieces, the joined line,
 * its flattened copy), ~3 ms and a share of the garbage collections per listing; this writes the
 * cached head and date bytes and the digits and name straight into the buffer (~1 ms).
 */
export function writeUnixListLine(entry: FileEntry, now: Date, buffer: Buffer, offset: number): number {
  lineHead(entry.type, shownMode(entry), entry.owner, entry.group);
  buffer.set(lastHeadBytes, offset);
  let at = writeSizeColumn(buffer, offset + lastHeadBytes.length, shownSize(entry));
  dateColumn(shownTime(entry), now);
  buffer.set(lastDateColumnBytes, at);
  at = writeText(buffer, at + lastDateColumnBytes.length, toSingleLineText(entry.name));
  const target = shownLinkTarget(entry);
  if (target !== null) at = writeText(buffer, writeText(buffer, at, ' -> '), target);
  return at;
}

/** The size right-aligned in 8 columns (wider when it has more digits), as decimal digits. */
function writeSizeColumn(buffer: Buffer, offset: number, size: number): number {
  let digits = 1;
  for (let rest = size; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let at = offset;
  for (let pad = digits; pad < 8; pad++) buffer[at++] = 0x20;
  let rest = size;
  for (let index = at + digits - 1; index >= at; index--) {
    buffer[index] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

/** UTF-8 of `text` at `offset`: ASCII copied code by code (no string made), anything else by Buffer.write. */
function writeText(buffer: Buffer, offset: number, text: string): number {
  let at = offset;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0x7f) return offset + buffer.write(text, offset, 'utf8');
    buffer[at++] = code;
  }
  return at;
}

const modePattern = /^([-dlcbpsDn?])([-rwxsStTlL]{9})[+@.]?$/;

function parseModeBits(text: string): number {
  let mode = 0;
  const bit = (index: number, value: number): void => {
    if (text[index] !== '-') mode |= value;
  };
  bit(0, 0o400);
  bit(1, 0o200);
  bit(3, 0o040);
  bit(4, 0o020);
  bit(6, 0o004);
  bit(7, 0o002);
  for (const [index, special, execute] of [
    [2, 0o4000, 0o100],
    [5, 0o2000, 0o010],
    [8, 0o1000, 0o001],
  ] as const) {
    const character = text[index]!;
    if ('xst'.includes(character)) mode |= execute;
    if ('sStTlL'.includes(character)) mode |= special;
  }
  return mode;
}

function fileTypeOf(character: string): FileType {
  if (character === '-') return 'file';
  if (character === 'd') return 'directory';
  if (character === 'l') return 'symlink';
  return 'unknown';
}

interface Token {
  readonly text: string;
  readonly end: number;
}

/** Whitespace-separated tokens with their end offsets, so the name can be cut from the raw line. */
function tokenize(line: string, from: number): Token[] {
  const tokens: Token[] = [];
  let index = from;
  while (index < line.length) {
    while (index < line.length && (line[index] === ' ' || line[index] === '\t')) index++;
    const start = index;
    while (index < line.length && line[index] !== ' ' && line[index] !== '\t') index++;
    if (index > start) tokens.push({ text: line.slice(start, index), end: index });
  }
  return tokens;
}

function monthIndex(text: string): number {
  return monthNames.findIndex((month) => month.toLowerCase() === text.toLowerCase());
}

/**
 * A time-form date ("Mar 05 14:03") carries no year: it is the most recent such date that is not
 * more than a day in the future, the same window the formatter uses (and GNU ls, vsftpd).
 */
function inferYear(month: number, day: number, hour: number, minute: number, now: Date): Date | null {
  const latest = now.getTime() + futureToleranceMs;
  // Feb 29 may be up to eight years back (across a skipped leap year such as 2100).
  for (let year = now.getUTCFullYear() + 1; year >= now.getUTCFullYear() - 8; year--) {
    const date = makeUtcDate(year, month, day, hour, minute);
    if (date && date.getTime() <= latest) return date;
  }
  return null;
}

interface ParsedDate {
  readonly modifiedAt: Date;
  /** Offset of the character after the date, where the single separating space is. */
  readonly end: number;
  /** Number of tokens the date used. */
  readonly tokenCount: number;
}

/** "Mar 5 14:03", "Mar 05 2021", "Mar 5 14:03:22", GNU long-iso "2024-03-05 14:03". */
function parseDateAt(tokens: readonly Token[], index: number, now: Date): ParsedDate | null {
  const first = tokens[index];
  const second = tokens[index + 1];
  const third = tokens[index + 2];
  if (!first || !second) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(first.text);
  if (iso) {
    const time = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(second.text);
    if (!time) return null;
    const date = makeUtcDate(+iso[1]!, +iso[2]!, +iso[3]!, +time[1]!, +time[2]!, +(time[3] ?? 0));
    if (!date) return null;
    // GNU full-iso appends a numeric zone ("+0000"); it belongs to the date, not the name.
    if (third && /^[+-]\d{4}$/.test(third.text)) return { modifiedAt: date, end: third.end, tokenCount: 3 };
    return { modifiedAt: date, end: second.end, tokenCount: 2 };
  }
  if (!third) return null;
  const month = monthIndex(first.text) + 1;
  if (month === 0 || !/^\d{1,2}$/.test(second.text)) return null;
  const day = Number(second.text);
  const yearMatch = /^\d{4}$/.exec(third.text);
  if (yearMatch) {
    const date = makeUtcDate(Number(third.text), month, day);
    return date ? { modifiedAt: date, end: third.end, tokenCount: 3 } : null;
  }
  const time = /^(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(third.text);
  if (!time) return null;
  const date = inferYear(month, day, Number(time[1]), Number(time[2]), now);
  return date ? { modifiedAt: date, end: third.end, tokenCount: 3 } : null;
}

/**
 * Parse one `ls -l` style line. Returns null for lines that are not entries ("total 12", blank,
 * other formats). Tolerates numeric owners, a missing group or link column, ACL/SELinux mode
 * suffixes, device numbers in the size column and both date forms; time-form dates are placed in
 * the year that makes them most recent but at most a day after `now`. The name is returned raw;
 * never throws.
 */
export function parseUnixListLine(line: string, now: Date = new Date()): FileEntry | null {
  const modeEnd = line.search(/[ \t]/);
  if (modeEnd === -1) return null;
  const modeMatch = modePattern.exec(line.slice(0, modeEnd));
  if (!modeMatch) return null;
  const tokens = tokenize(line, modeEnd);
  // The date is the first month/day/time triple preceded by a size column; searching from the left
  // means a name that itself looks like a date cannot confuse the parser.
  for (let index = 1; index < tokens.length; index++) {
    const sizeText = tokens[index - 1]!.text;
    const isDeviceNumbers = /^\d+,\d+$/.test(sizeText) || (/^\d+$/.test(sizeText) && /^\d+,$/.test(tokens[index - 2]?.text ?? ''));
    if (!/^\d+$/.test(sizeText) && !isDeviceNumbers) continue;
    const date = parseDateAt(tokens, index, now);
    if (!date) continue;
    const rawName = line.slice(date.end + 1);
    if (rawName === '') return null;
    const columnsEnd = index - 1 - (isDeviceNumbers && !sizeText.includes(',') ? 1 : 0);
    return buildEntry(modeMatch, tokens.slice(0, columnsEnd), isDeviceNumbers ? 0 : Number(sizeText), date.modifiedAt, rawName);
  }
  return null;
}

function buildEntry(
  modeMatch: RegExpExecArray,
  columns: readonly Token[],
  size: number,
  modifiedAt: Date,
  rawName: string,
): FileEntry {
  const type = fileTypeOf(modeMatch[1]!);
  let name = rawName;
  let linkTarget: string | undefined;
  if (type === 'symlink') {
    const arrow = rawName.indexOf(' -> ', 1);
    if (arrow !== -1) {
      name = rawName.slice(0, arrow);
      linkTarget = rawName.slice(arrow + 4);
    }
  }
  const texts = columns.map((column) => column.text);
  // Columns before the size: "links owner group"; with two, a leading number is the link count
  // (group missing, as on some embedded servers), otherwise they are owner and group.
  let owner: string | undefined;
  let group: string | undefined;
  if (texts.length >= 3) {
    owner = texts[1];
    group = texts[texts.length - 1];
  } else if (texts.length === 2) {
    if (/^\d+$/.test(texts[0]!)) owner = texts[1];
    else [owner, group] = texts;
  } else if (texts.length === 1 && !/^\d+$/.test(texts[0]!)) {
    owner = texts[0];
  }
  const entry: { -readonly [K in keyof FileEntry]: FileEntry[K] } = {
    name,
    type,
    size,
    modifiedAt,
    mode: parseModeBits(modeMatch[2]!),
  };
  if (linkTarget !== undefined) entry.linkTarget = linkTarget;
  if (owner !== undefined) entry.owner = owner;
  if (group !== undefined) entry.group = group;
  return entry;
}
