import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReply, ReplyParseError, ReplyParser, replyText, type FtpReply } from '../../src/protocol/reply.js';
import { ReplyCode } from '../../src/protocol/reply-code.js';

function parseAll(input: string | Uint8Array, parser = new ReplyParser()): FtpReply[] {
  return parser.push(input);
}

describe('formatReply', () => {
  const cases: { title: string; replyCode: number; text: string | string[]; expected: string }[] = [
    { title: 'writes a single-line reply as "ddd text" with CRLF', replyCode: 200, text: 'OK', expected: '200 OK\r\n' },
    { title: 'writes an empty text as the code and a space', replyCode: 200, text: '', expected: '200 \r\n' },
    { title: 'writes an empty line array as the code and a space', replyCode: 200, text: [], expected: '200 \r\n' },
    {
      title: 'writes a multi-line reply with "ddd-" first and "ddd " last (RFC 959 §4.2)',
      replyCode: 211,
      text: ['Features:', ' EPSV', 'End'],
      expected: '211-Features:\r\n EPSV\r\n211 End\r\n',
    },
    {
      title: 'splits a string text at newlines',
      replyCode: 214,
      text: 'a\nb\nc',
      expected: '214-a\r\nb\r\n214 c\r\n',
    },
    {
      title: 'splits a string text at CRLF without leaving a stray space',
      replyCode: 214,
      text: 'a\r\nb',
      expected: '214-a\r\n214 b\r\n',
    },
    {
      title: 'indents inner lines that start with a digit so they cannot end the reply',
      replyCode: 211,
      text: ['Status', '211 fake end', '5 files', 'End'],
      expected: '211-Status\r\n 211 fake end\r\n 5 files\r\n211 End\r\n',
    },
    {
      title: 'replaces CR, LF and NUL inside a line so a file name cannot inject a reply',
      replyCode: 550,
      text: ['no\rsuch\0file'],
      expected: '550 no such file\r\n',
    },
    { title: 'replaces a lone CR in a single-line string text too', replyCode: 550, text: 'no\rsuch file', expected: '550 no such file\r\n' },
    { title: 'replaces a NUL in a single-line string text too', replyCode: 550, text: 'no such\0file', expected: '550 no such file\r\n' },
  ];
  for (const { title, replyCode, text, expected } of cases) {
    it(title, () => assert.equal(formatReply(replyCode, text), expected));
  }

  it('round-trips through ReplyParser for hostile texts', () => {
    const texts = [['one'], ['first', '200 inner', '999', '', 'last'], ['a\r\nb', 'c\nd'], ['   spaced   ']];
    for (const lines of texts) {
      const [reply] = parseAll(formatReply(ReplyCode.SystemStatus, lines));
      assert.equal(reply?.replyCode, ReplyCode.SystemStatus);
      assert.equal(reply.lines.length, lines.length);
    }
  });
});

describe('ReplyParser', () => {
  const wire = '220 Welcome\r\n211-Features:\r\n EPSV\r\n200 not the end\r\n211-also not\r\n211 End\r\n226 Done\n';
  const expected: FtpReply[] = [
    { replyCode: 220, lines: ['Welcome'] },
    { replyCode: 211, lines: ['Features:', 'EPSV', '200 not the end', 'also not', 'End'] },
    { replyCode: 226, lines: ['Done'] },
  ];

  it('parses several replies arriving in one chunk', () => {
    assert.deepEqual(parseAll(wire), expected);
  });

  it('yields the same replies when the bytes are split at every position', () => {
    const bytes = Buffer.from(wire);
    for (let split = 0; split <= bytes.length; split++) {
      const parser = new ReplyParser();
      const replies = [...parser.push(bytes.subarray(0, split)), ...parser.push(bytes.subarray(split))];
      assert.deepEqual(replies, expected, `split at ${split}`);
      assert.equal(parser.isInsideReply, false);
    }
  });

  it('yields the same replies when fed one byte at a time', () => {
    const parser = new ReplyParser();
    const replies = [...Buffer.from(wire)].flatMap((byte) => parser.push(Uint8Array.of(byte)));
    assert.deepEqual(replies, expected);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('257 "/ünïcode" created\r\n');
    const parser = new ReplyParser();
    const replies = [...parser.push(bytes.subarray(0, 7)), ...parser.push(bytes.subarray(7))];
    assert.deepEqual(replies, [{ replyCode: 257, lines: ['"/ünïcode" created'] }]);
  });

  const lineCases: { title: string; input: string; expected: FtpReply[] }[] = [
    { title: 'accepts a bare LF line end', input: '200 OK\n', expected: [{ replyCode: 200, lines: ['OK'] }] },
    { title: 'accepts a code with no text', input: '200\r\n', expected: [{ replyCode: 200, lines: [''] }] },
    {
      title: 'ends a multi-line reply at a bare "ddd" line',
      input: '211-a\r\n211\r\n',
      expected: [{ replyCode: 211, lines: ['a', ''] }],
    },
    {
      title: 'keeps inner lines starting with other codes as text',
      input: '250-Listing\r\n550 looks final\r\n250 done\r\n',
      expected: [{ replyCode: 250, lines: ['Listing', '550 looks final', 'done'] }],
    },
    {
      title: 'removes one indenting space from inner lines',
      input: '211-x\r\n  two spaces\r\n211 y\r\n',
      expected: [{ replyCode: 211, lines: ['x', ' two spaces', 'y'] }],
    },
    {
      title: 'keeps a reply text byte-exact including trailing spaces',
      input: '550 name  \r\n',
      expected: [{ replyCode: 550, lines: ['name  '] }],
    },
    { title: 'returns nothing for an incomplete line', input: '200 O', expected: [] },
  ];
  for (const { title, input, expected: replies } of lineCases) {
    it(title, () => assert.deepEqual(parseAll(input), replies));
  }

  const malformed: { title: string; input: string }[] = [
    { title: 'rejects a line without a code', input: 'hello\r\n' },
    { title: 'rejects a two-digit code', input: '20 OK\r\n' },
    { title: 'rejects a code below 100', input: '099 no\r\n' },
    { title: 'rejects a code above 599', input: '600 no\r\n' },
    { title: 'rejects a code followed by another character', input: '200:OK\r\n' },
    { title: 'rejects a leading space before the code', input: ' 200 OK\r\n' },
  ];
  for (const { title, input } of malformed) {
    it(title, () => assert.throws(() => parseAll(input), ReplyParseError));
  }

  it('refuses a line longer than maxLineBytes, even before its end arrives', () => {
    const parser = new ReplyParser({ maxLineBytes: 16 });
    assert.throws(() => parser.push('200 ' + 'x'.repeat(20)), ReplyParseError);
    assert.throws(() => new ReplyParser({ maxLineBytes: 16 }).push('200 ' + 'x'.repeat(20) + '\r\n'), ReplyParseError);
  });

  it('accepts a line of exactly maxLineBytes', () => {
    const line = '200 ' + 'x'.repeat(12);
    assert.deepEqual(new ReplyParser({ maxLineBytes: 16 }).push(line + '\r\n'), [{ replyCode: 200, lines: ['x'.repeat(12)] }]);
  });

  it('refuses a multi-line reply with more than maxReplyLines lines', () => {
    const parser = new ReplyParser({ maxReplyLines: 3 });
    assert.throws(() => parser.push('211-a\r\nb\r\nc\r\nd\r\n'), ReplyParseError);
    assert.deepEqual(new ReplyParser({ maxReplyLines: 3 }).push('211-a\r\nb\r\n211 c\r\n'), [
      { replyCode: 211, lines: ['a', 'b', 'c'] },
    ]);
  });

  it('reports isInsideReply while a multi-line reply is open', () => {
    const parser = new ReplyParser();
    assert.equal(parser.isInsideReply, false);
    parser.push('211-start\r\n');
    assert.equal(parser.isInsideReply, true);
    parser.push('211 end\r\n');
    assert.equal(parser.isInsideReply, false);
  });

  it('errors carry a stable code and name', () => {
    try {
      parseAll('garbage\n');
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof ReplyParseError);
      assert.equal(error.code, 'ERR_FTP_REPLY_PARSE');
      assert.equal(error.name, 'ReplyParseError');
    }
  });

  it('replyText joins the lines with newlines', () => {
    assert.equal(replyText({ replyCode: 211, lines: ['a', 'b'] }), 'a\nb');
  });
});
