/**
 * FTP replies: formatting (server side) and incremental parsing (client side).
 * RFC 959 §4.2: a multi-line reply starts with "ddd-" and ends with a line "ddd " with the same code.
 */

/** One complete reply: its code and its text lines without the code prefixes. */
export interface FtpReply {
  readonly replyCode: number;
  /** Text lines, code and separator removed; a single-line reply has one entry. */
  readonly lines: readonly string[];
}

/** The reply's text joined with newlines, convenient for messages. */
export function replyText(reply: FtpReply): string {
  return reply.lines.join('\n');
}

/**
 * Format a reply for the wire. Multi-line replies use the "ddd-" … "ddd " form; inner lines that
 * start with digits are indented with a space so a client cannot mistake them for the last line.
 * CR and LF inside a line are replaced so that no text (e.g. a file name) can inject a reply line.
 */
export function formatReply(replyCode: number, text: string | readonly string[]): string {
  // Most replies are one clean line: no split, map or replace for them (~200 bytes of garbage each).
  if (typeof text === 'string' && !lineBreakOrNul.test(text)) return `${replyCode} ${text}\r\n`;
  // Split at CRLF too: a text that already uses CRLF would otherwise get a stray space per line.
  const lines = (typeof text === 'string' ? text.split(/\r?\n/) : [...text]).map(sanitizeReplyText);
  if (lines.length <= 1) return `${replyCode} ${lines[0] ?? ''}\r\n`;
  const first = `${replyCode}-${lines[0]}\r\n`;
  const middle = lines
    .slice(1, -1)
    .map((line) => (/^\d/.test(line) ? ` ${line}` : line) + '\r\n')
    .join('');
  const last = `${replyCode} ${lines[lines.length - 1]}\r\n`;
  return first + middle + last;
}

const lineBreakOrNul = /[\r\n\0]/;

function sanitizeReplyText(line: string): string {
  return line.replace(/[\r\n\0]/g, ' ');
}

/** Raised by {@link ReplyParser} when a peer sends something that is not an FTP reply. */
export class ReplyParseError extends Error {
  override readonly name = 'ReplyParseError';
  readonly code = 'ERR_FTP_REPLY_PARSE';
}

/** Limits that keep a hostile server from making the parser grow without bound. */
export interface ReplyParserLimits {
  /** Longest single reply line accepted, in bytes. */
  maxLineBytes: number;
  /** Most lines in one multi-line reply. */
  maxReplyLines: number;
}

export const defaultReplyParserLimits: ReplyParserLimits = { maxLineBytes: 8192, maxReplyLines: 2000 };

/**
 * Incremental, bounded reply parser. Feed it bytes as they arrive (`push`); it returns the replies
 * completed by those bytes, in order. Tolerates bare LF. Throws ReplyParseError on malformed
 * input or when a limit is exceeded; the parser must then be discarded.
 */
export class ReplyParser {
  private buffered = '';
  private pendingCode: number | null = null;
  private pendingLines: string[] = [];
  private readonly limits: ReplyParserLimits;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(limits: Partial<ReplyParserLimits> = {}) {
    this.limits = { ...defaultReplyParserLimits, ...limits };
  }

  /** Parse a chunk; returns every reply it completes. */
  push(chunk: Uint8Array | string): FtpReply[] {
    this.buffered += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const replies: FtpReply[] = [];
    let newlineIndex: number;
    while ((newlineIndex = this.buffered.indexOf('\n')) !== -1) {
      let line = this.buffered.slice(0, newlineIndex);
      this.buffered = this.buffered.slice(newlineIndex + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (Buffer.byteLength(line) > this.limits.maxLineBytes) throw new ReplyParseError('reply line too long');
      const reply = this.acceptLine(line);
      if (reply) replies.push(reply);
    }
    if (Buffer.byteLength(this.buffered) > this.limits.maxLineBytes) {
      throw new ReplyParseError('reply line too long');
    }
    return replies;
  }

  /** True while a multi-line reply has started but not ended. */
  get isInsideReply(): boolean {
    return this.pendingCode !== null || this.buffered.length > 0;
  }

  private acceptLine(line: string): FtpReply | null {
    const match = /^(\d{3})([ -])(.*)$/s.exec(line) ?? /^(\d{3})()$/.exec(line);
    if (this.pendingCode === null) {
      if (!match) throw new ReplyParseError(`malformed reply line: ${JSON.stringify(line.slice(0, 80))}`);
      const replyCode = Number(match[1]);
      if (replyCode < 100 || replyCode > 599) throw new ReplyParseError(`reply code out of range: ${replyCode}`);
      if (match[2] === '-') {
        this.pendingCode = replyCode;
        this.pendingLines = [match[3] ?? ''];
        return null;
      }
      return { replyCode, lines: [match[3] ?? ''] };
    }
    if (match && Number(match[1]) === this.pendingCode && match[2] !== '-') {
      const reply = { replyCode: this.pendingCode, lines: [...this.pendingLines, match[3] ?? ''] };
      this.pendingCode = null;
      this.pendingLines = [];
      return reply;
    }
    if (this.pendingLines.length >= this.limits.maxReplyLines) {
      throw new ReplyParseError('multi-line reply has too many lines');
    }
    // Inner lines may be indented by one space (RFC 959 §4.2 recommends it for lines starting with digits).
    this.pendingLines.push(match && Number(match[1]) === this.pendingCode ? (match[3] ?? '') : line.replace(/^ /, ''));
    return null;
  }
}
