/**
 * Bytes → command lines for the control connection (RFC 959 §4.1, RFC 854 Telnet).
 * Lines end with CRLF; a bare LF is tolerated. Telnet commands are removed: IAC IAC is a literal
 * 0xFF byte, IAC WILL/WONT/DO/DONT <option> is dropped whole, any other IAC <cmd> (IP, DM, …,
 * sent before ABOR as the "synch" signal) is dropped. A line longer than the cap is discarded up
 * to its end and reported as an overflow, so a hostile client cannot make the buffer grow.
 */

const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;
const LF = 0x0a;
const CR = 0x0d;

/** What the reader produced from the bytes it was given. */
export type LineEvent = { kind: 'line'; line: string } | { kind: 'overflow'; discardedBytes: number };

/** Default cap on one command line, in bytes (vsftpd uses 4096). */
export const defaultMaxCommandLineBytes = 4096;

type TelnetState = 'data' | 'iac' | 'option';

/** Incremental command-line splitter; feed chunks in order with `push`. */
export class LineReader {
  private readonly lineBytes: Buffer;
  private lineLength = 0;
  private isOverflowing = false;
  private overflowBytes = 0;
  private telnetState: TelnetState = 'data';
  /** A CR not yet known to be part of the CRLF terminator; it only counts as data if no LF follows. */
  private isHoldingCR = false;

  constructor(private readonly maxCommandLineBytes = defaultMaxCommandLineBytes) {
    this.lineBytes = Buffer.alloc(maxCommandLineBytes);
  }

  /** Consume a chunk; returns the complete lines (and overflows) it finished, in order. */
  push(chunk: Uint8Array): LineEvent[] {
    const events: LineEvent[] = [];
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]!;
      switch (this.telnetState) {
        case 'iac':
          if (byte === IAC) this.appendByte(IAC);
          this.telnetState = byte >= WILL && byte <= DONT ? 'option' : 'data';
          continue;
        case 'option':
          this.telnetState = 'data';
          continue;
        case 'data':
          break;
      }
      if (byte === IAC) {
        this.telnetState = 'iac';
      } else if (byte === LF) {
        events.push(this.finishLine());
      } else {
        this.appendByte(byte);
      }
    }
    return events;
  }

  /** Bytes held for the line in progress (for tests and diagnostics). */
  get pendingBytes(): number {
    return this.lineLength;
  }

  private appendByte(byte: number): void {
    // The terminator's CR is held back rather than stored, so a line of exactly the cap is
    // accepted whether it ends in CRLF or a bare LF.
    if (this.isHoldingCR) {
      this.isHoldingCR = false;
      this.storeByte(CR);
    }
    if (byte === CR) this.isHoldingCR = true;
    else this.storeByte(byte);
  }

  private storeByte(byte: number): void {
    if (this.isOverflowing) {
      this.overflowBytes++;
      return;
    }
    if (this.lineLength >= this.maxCommandLineBytes) {
      this.isOverflowing = true;
      this.overflowBytes = this.lineLength + 1;
      this.lineLength = 0;
      return;
    }
    this.lineBytes[this.lineLength++] = byte;
  }

  private finishLine(): LineEvent {
    this.isHoldingCR = false;
    if (this.isOverflowing) {
      const discardedBytes = this.overflowBytes;
      this.isOverflowing = false;
      this.overflowBytes = 0;
      this.lineLength = 0;
      return { kind: 'overflow', discardedBytes };
    }
    const line = decodeCommandBytes(this.lineBytes.subarray(0, this.lineLength));
    this.lineLength = 0;
    return { kind: 'line', line };
  }

  /** True when a line longer than the cap is being discarded right now (no newline seen yet). */
  get isDiscardingOverlongLine(): boolean {
    return this.isOverflowing;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decode a command line: UTF-8 per RFC 2640; bytes that are not valid UTF-8 are read as Latin-1
 * so that legacy clients' file names still map to distinct, stable strings.
 */
export function decodeCommandBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}
