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
const NUL = 0x00;

/** What the reader produced from the bytes it was given. */
export type LineEvent = { kind: 'line'; line: string } | { kind: 'overflow'; discardedBytes: number };

/** Default cap on one command line, in bytes (vsftpd uses 4096). */
export const defaultMaxCommandLineBytes = 4096;

type TelnetState = 'data' | 'iac' | 'option';

/** Bytes a line buffer starts with; it grows by doubling up to the cap. */
const initialLineBufferBytes = 128;

/**
 * Incremental command-line splitter; feed chunks in order with `push`.
 * A CR ends a line at once, and an LF (or Telnet NUL) right after it is skipped. RFC 854 allows a
 * CR only as CR LF or CR NUL, so nothing is lost, and this matters for ABOR: Python's ftplib sends
 * "ABOR\r\n" as TCP urgent data, and without SO_OOBINLINE (which Node cannot set) the kernel
 * removes the urgent last byte, the LF. vsftpd and pyftpdlib answer because they set that option.
 */
export class LineReader {
  private lineBytes: Buffer | null = null;
  private lineLength = 0;
  private isOverflowing = false;
  private overflowBytes = 0;
  private telnetState: TelnetState = 'data';
  /** The previous data byte was a CR that ended a line; a following LF or NUL belongs to it. */
  private isAfterCR = false;

  constructor(private readonly maxCommandLineBytes = defaultMaxCommandLineBytes) {}

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
        continue;
      }
      const wasAfterCR = this.isAfterCR;
      this.isAfterCR = false;
      if (byte === CR) {
        events.push(this.finishLine());
        this.isAfterCR = true;
      } else if (byte === LF || (byte === NUL && wasAfterCR)) {
        if (!wasAfterCR) events.push(this.finishLine());
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
    if (!this.lineBytes || this.lineLength === this.lineBytes.length) this.growBuffer();
    this.lineBytes![this.lineLength++] = byte;
  }

  private growBuffer(): void {
    const size = Math.min(this.maxCommandLineBytes, Math.max(initialLineBufferBytes, (this.lineBytes?.length ?? 0) * 2));
    const grown = Buffer.allocUnsafe(size);
    if (this.lineBytes) this.lineBytes.copy(grown, 0, 0, this.lineLength);
    this.lineBytes = grown;
  }

  private finishLine(): LineEvent {
    if (this.isOverflowing) {
      const discardedBytes = this.overflowBytes;
      this.isOverflowing = false;
      this.overflowBytes = 0;
      this.lineLength = 0;
      return { kind: 'overflow', discardedBytes };
    }
    const line = this.lineBytes ? decodeCommandBytes(this.lineBytes.subarray(0, this.lineLength)) : '';
    this.lineLength = 0;
    // Dropped after every line: an idle session then holds no buffer (nor pins a pool slab).
    this.lineBytes = null;
    return { kind: 'line', line };
  }

  /** True when a line longer than the cap is being discarded right now (no line end seen yet). */
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
