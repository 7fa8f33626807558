/**
 * The DOS/IIS listing format ("MS-DOS" directory style of Microsoft FTP Service), which IIS sends
 * for LIST unless configured for Unix style: `01-16-02  11:14AM       <DIR>          epsgroup`.
 */
import type { FileEntry } from './file-entry.js';
import { makeUtcDate } from './utc-date.js';

// Quantifiers are arranged so no two adjacent ones can match the same characters: a hostile line
// of many spaces must not make the regular expression backtrack quadratically.
const dosLinePattern =
  /^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})[ \t]+(\d{1,2}):(\d{2})(?::(\d{2}))? ?([AaPp][Mm])?[ \t]+(<DIR>|\d+)[ \t]+(.+)$/s;

/** Two-digit years: 70–99 are 19xx, 00–69 are 20xx (the POSIX strptime %y pivot). */
function fullYear(text: string): number {
  const year = Number(text);
  if (text.length === 4) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}

/**
 * Parse one DOS/IIS listing line: MM-DD-YY or MM-DD-YYYY (DD-MM when the first field cannot be a
 * month), 12-hour clock with AM/PM or 24-hour clock, `<DIR>` or a size. Times are taken as UTC.
 * Returns null for anything else; never throws. The name is returned as given.
 */
export function parseDosListLine(line: string): FileEntry | null {
  const match = dosLinePattern.exec(line);
  if (!match) return null;
  const [, firstText, , secondText, yearText, hourText, minuteText, secondsText, meridiem, sizeText, name] = match;
  let month = Number(firstText);
  let day = Number(secondText);
  if (month > 12 && day <= 12) [month, day] = [day, month];
  let hour = Number(hourText);
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    const isAfternoon = meridiem.toUpperCase() === 'PM';
    hour = (hour % 12) + (isAfternoon ? 12 : 0);
  }
  const modifiedAt = makeUtcDate(fullYear(yearText!), month, day, hour, Number(minuteText), Number(secondsText ?? 0));
  if (!modifiedAt || name === undefined) return null;
  const isDirectory = sizeText === '<DIR>';
  return { name, type: isDirectory ? 'directory' : 'file', size: isDirectory ? 0 : Number(sizeText), modifiedAt };
}
