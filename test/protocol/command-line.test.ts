import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CommandInjectionError,
  formatCommandLine,
  parseCommandLine,
  redactCommandLine,
  type CommandLine,
} from '../../src/protocol/command-line.js';

describe('parseCommandLine', () => {
  const cases: { title: string; line: string; expected: CommandLine | null }[] = [
    { title: 'upper-cases the verb', line: 'user anna', expected: { verb: 'USER', argument: 'anna' } },
    { title: 'gives an empty argument for a bare verb', line: 'PWD', expected: { verb: 'PWD', argument: '' } },
    { title: 'keeps leading spaces of the argument', line: 'RETR   spaced', expected: { verb: 'RETR', argument: '  spaced' } },
    { title: 'keeps trailing spaces of the argument', line: 'STOR name  ', expected: { verb: 'STOR', argument: 'name  ' } },
    { title: 'keeps a leading "-" (a file name, not an option)', line: 'LIST -la', expected: { verb: 'LIST', argument: '-la' } },
    { title: 'keeps quotes', line: 'CWD "my dir"', expected: { verb: 'CWD', argument: '"my dir"' } },
    { title: 'keeps the argument case', line: 'dele ReadMe.TXT', expected: { verb: 'DELE', argument: 'ReadMe.TXT' } },
    { title: 'gives an empty argument after a single trailing space', line: 'NOOP ', expected: { verb: 'NOOP', argument: '' } },
    { title: 'returns null for an empty line', line: '', expected: null },
    { title: 'returns null for a line starting with a space', line: ' USER anna', expected: null },
  ];
  for (const { title, line, expected } of cases) {
    it(title, () => assert.deepEqual(parseCommandLine(line), expected));
  }
});

describe('formatCommandLine', () => {
  const cases: { title: string; verb: string; argument?: string; expected: string }[] = [
    { title: 'ends the line with CRLF', verb: 'NOOP', expected: 'NOOP\r\n' },
    { title: 'joins verb and argument with one space', verb: 'RETR', argument: 'a.txt', expected: 'RETR a.txt\r\n' },
    { title: 'omits the space for an empty argument', verb: 'PWD', argument: '', expected: 'PWD\r\n' },
    { title: 'keeps the argument byte-exact', verb: 'STOR', argument: ' -x "q" ', expected: 'STOR  -x "q" \r\n' },
  ];
  for (const { title, verb, argument, expected } of cases) {
    it(title, () => assert.equal(formatCommandLine(verb, argument), expected));
  }

  const injections: { title: string; verb: string; argument: string }[] = [
    { title: 'refuses LF in the argument', verb: 'RETR', argument: 'a\nDELE b' },
    { title: 'refuses CR in the argument', verb: 'RETR', argument: 'a\rb' },
    { title: 'refuses CRLF in the argument', verb: 'CWD', argument: 'x\r\nRMD /' },
    { title: 'refuses NUL in the argument', verb: 'RETR', argument: 'a\0b' },
    { title: 'refuses a line break in the verb', verb: 'NOOP\r\nQUIT', argument: '' },
  ];
  for (const { title, verb, argument } of injections) {
    it(title, () => {
      assert.throws(
        () => formatCommandLine(verb, argument),
        (error: unknown) => error instanceof CommandInjectionError && error.code === 'ERR_FTP_COMMAND_INJECTION',
      );
    });
  }
});

describe('redactCommandLine', () => {
  const cases: { title: string; command: CommandLine; expected: string }[] = [
    { title: 'hides the PASS argument', command: { verb: 'PASS', argument: 'hunter2' }, expected: 'PASS ****' },
    { title: 'hides an empty PASS argument too', command: { verb: 'PASS', argument: '' }, expected: 'PASS ****' },
    { title: 'shows other commands with their argument', command: { verb: 'USER', argument: 'anna' }, expected: 'USER anna' },
    { title: 'shows a bare verb alone', command: { verb: 'PWD', argument: '' }, expected: 'PWD' },
  ];
  for (const { title, command, expected } of cases) {
    it(title, () => assert.equal(redactCommandLine(command), expected));
  }

  it('redacts a PASS line parsed from lower case', () => {
    assert.equal(redactCommandLine(parseCommandLine('pass secret')!), 'PASS ****');
  });
});
