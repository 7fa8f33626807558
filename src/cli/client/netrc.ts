/**
 * ~/.netrc lookup (the format of BSD ftp(1), also read by curl and lftp): `machine`, `default`,
 * `login`, `password`, `account`, and `macdef` bodies (skipped up to the next blank line).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Credentials found for a host. */
export interface NetrcEntry {
  readonly login: string | undefined;
  readonly password: string | undefined;
}

/** Find the entry for `host` in netrc text: its `machine` block, else the `default` block, else null. */
export function findNetrcEntry(text: string, host: string): NetrcEntry | null {
  const tokens = tokenize(text);
  let current: { machine: string | null; login?: string; password?: string } | null = null;
  const blocks: { machine: string | null; login?: string; password?: string }[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token === 'machine' || token === 'default') {
      current = { machine: token === 'machine' ? (tokens[++index] ?? '') : null };
      blocks.push(current);
    } else if (current && (token === 'login' || token === 'password' || token === 'account')) {
      const value = tokens[++index];
      if (token === 'login') current.login = value;
      if (token === 'password') current.password = value;
    }
  }
  const match = blocks.find((block) => block.machine?.toLowerCase() === host.toLowerCase()) ?? blocks.find((block) => block.machine === null);
  return match ? { login: match.login, password: match.password } : null;
}

/** Read ~/.netrc (or `path`) and look `host` up; a missing file means no entry. */
export async function lookupNetrc(host: string, path = join(homedir(), '.netrc')): Promise<NetrcEntry | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  return text === null ? null : findNetrcEntry(text, host);
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex]!;
    if (/^\s*#/.test(line)) continue;
    const words = line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    for (let index = 0; index < words.length; index++) {
      const word = words[index]!;
      if (word === 'macdef') {
        // A macro body runs to the next empty line and holds no credentials.
        while (lineIndex + 1 < lines.length && lines[lineIndex + 1]!.trim() !== '') lineIndex++;
        break;
      }
      tokens.push(word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word);
    }
  }
  return tokens;
}
