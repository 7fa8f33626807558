/**
 * Calendar-checked UTC dates for listing and timestamp parsers. `Date.UTC` silently rolls
 * 31 February over into March and maps years 0–99 to 1900–1999; peers' text must do neither.
 */

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A UTC date from calendar fields (month 1–12), or null when a field is out of range.
 * Second 60 is accepted (a leap second, RFC 3659 §2.3) and lands on the next minute.
 */
export function makeUtcDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): Date | null {
  const fields = [year, month, day, hour, minute, second, millisecond];
  if (!fields.every(Number.isInteger)) return null;
  if (year < 0 || year > 9999 || month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60 || millisecond > 999) return null;
  if (hour < 0 || minute < 0 || second < 0 || millisecond < 0) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date;
}
