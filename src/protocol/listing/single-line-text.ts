/**
 * One entry must stay one line: a file name containing CR or LF would otherwise let whoever
 * named the file forge extra listing lines (or, on the control connection, MLST reply lines).
 */

/** Replace CR, LF and NUL with "?", as `ls -q` does for unprintable characters. */
export function toSingleLineText(text: string): string {
  // Test first: nearly every name is clean, and test() allocates nothing.
  return lineBreakPattern.test(text) ? text.replace(/[\r\n\0]/g, '?') : text;
}

const lineBreakPattern = /[\r\n\0]/;
