/**
 * A Writable that keeps what it receives in memory up to a byte limit, for listings: a hostile
 * server could otherwise stream an endless LIST into the client's heap.
 */
import { Writable } from 'node:stream';
import { FtpLimitExceededError } from './errors.js';

/** Collects chunks; fails the pipeline with FtpLimitExceededError once more than `maxBytes` arrive. */
export class BoundedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private receivedBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly what: string,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.receivedBytes += chunk.length;
    if (this.receivedBytes > this.maxBytes) {
      callback(new FtpLimitExceededError(`${this.what} is larger than ${this.maxBytes} bytes`));
      return;
    }
    this.chunks.push(chunk);
    callback();
  }

  /** Everything received, as one buffer. */
  get contents(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
