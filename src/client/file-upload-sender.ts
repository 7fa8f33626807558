/**
 * A binary upload from a local file, sent into the data socket through two recycled buffers
 * (file-io/send-file-range.ts, the server's download path) rather than a read stream, which
 * allocates fresh memory for every chunk. Measured on the bench VM (1 GiB to a local Ferry server,
 * 4 interleaved rounds of a prototype): read stream 1.17-1.29 s, recycled buffers 0.61-0.74 s,
 * curl 0.58-0.67 s.
 *
 * The file is sent up to the size it had when the upload started: the transfer's progress and the
 * resume logic use that size, and a file still growing is sent as it was then.
 */
import type { Socket } from 'node:net';
import { sendFileRange, type InlineReadPolicy } from '../file-io/send-file-range.js';
import type { LocalFileMover } from './transfer.js';

export class FileUploadSender implements LocalFileMover {
  /**
   * Sends bytes [start, end) of the open file `fd`, which stays open (the caller closes it once
   * move() settled); reads run inline when `inline` allows, else in the thread pool.
   */
  constructor(
    private readonly fd: number,
    private readonly start: number,
    private readonly end: number,
    private readonly inline: InlineReadPolicy | null = null,
  ) {}

  move(socket: Socket, signal: AbortSignal, _readsInto: boolean, onBytes: (bytes: number) => void): Promise<void> {
    return sendFileRange(this.fd, this.start, this.end, socket, signal, this.inline, onBytes);
  }
}
