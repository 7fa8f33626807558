/**
 * Command lines (RFC 959 §5.3): a verb, optionally one space and an argument. The argument is kept
 * byte-exact (leading/trailing spaces, quotes and leading "-" are part of file names).
 */

/** A parsed command line. `verb` is upper-cased; `argument` is everything after the first space. */
export interface CommandLine {
  readonly verb: string;
  readonly argument: string;
}

/** Split a received line into verb and argument. Returns null for an empty or verb-less line. */
export function parseCommandLine(line: string): CommandLine | null {
  const spaceIndex = line.indexOf(' ');
  const rawVerb = spaceIndex === -1 ? line : line.slice(0, spaceIndex);
  if (rawVerb.length === 0) return null;
  const argument = spaceIndex === -1 ? '' : line.slice(spaceIndex + 1);
  return { verb: rawVerb.toUpperCase(), argument };
}

/** Raised when an outgoing command would carry a line break or NUL (command injection). */
export class CommandInjectionError extends Error {
  override readonly name = 'CommandInjectionError';
  readonly code = 'ERR_FTP_COMMAND_INJECTION';
}

/** Format an outgoing command line with CRLF; refuses CR, LF and NUL anywhere in it. */
export function formatCommandLine(verb: string, argument?: string): string {
  const line = argument === undefined || argument === '' ? verb : `${verb} ${argument}`;
  if (/[\r\n\0]/.test(line)) {
    throw new CommandInjectionError('refusing to send a command containing CR, LF or NUL');
  }
  return `${line}\r\n`;
}

/** The line to log for a command: PASS arguments are redacted. */
export function redactCommandLine(command: CommandLine): string {
  if (command.verb === 'PASS') return 'PASS ****';
  return command.argument ? `${command.verb} ${command.argument}` : command.verb;
}
