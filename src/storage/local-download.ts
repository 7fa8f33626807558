/**
 * A local file opened for a download: as a read stream, sent straight into a writable (a data
 * socket) through two recycled read buffers (file-io/send-file-range.ts), or sent into a socket's
 * descriptor with sendfile(2) by the native helper.
 *
 * Why not `pipeline(createReadStream(...), socket)`: a read stream allocates a fresh buffer for
 * every chunk. Those buffers are large enough that malloc maps new pages for each one, so every
 * read(2) also page-faults and zero-fills 256 KiB, and the garbage collector runs after the external
 * memory they add up to. Profiled on the 1 MiB download workload (bench `files`), that was a fifth
 * of the server's CPU; with two buffers per transfer, taken from a small pool and refilled while
 * the other one is being written, server CPU per 1 MiB download fell from ~2.6 ms to ~2.1 ms.
 * Node does not offer vsftpd's sendfile(2); where the native helper's is available (Linux, a local
 * file system) it serves every plain download, off the event loop (native/send_from_file.c).
 */
import { close, closeSync, createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { sendFileRange } from '../file-io/send-file-range.js';
import { transferBufferBytes } from '../file-io/transfer-buffer-pool.js';
import type { InlineFileIo } from '../file-io/inline-file-io.js';
import { nativeFileSender, type RunningSocketTransfer } from '../native/native-addon.js';
import { startSenderTransfer } from '../native/native-transfer.js';
import type { DownloadSource, SendingDownload } from './storage.js';

/** Size of each read, on both paths. */
const chunkBytes = transferBufferBytes;

/**
 * Bytes of a sendfile download sent at once from the event loop, before the helper's sender
 * thread takes over: a small file then needs no hand-over (two thread wake-ups), a big one costs
 * the event loop little. Bench `files` (1 MiB, 100 sessions), alternated runs: 0 bytes 790, 994,
 * 825 and 984, 1079, 971, 1032 files/s; 64 KiB 873, 838, 926; 128 KiB 886, 921, 897, then 915,
 * 666, 1004 and 961, 1016, 1128, 941; 256 KiB 942, 819, 897; no limit (what the socket takes,
 * often the whole file) 841, 814, 827 — all within the noise, and single-session runs of small
 * files were slower with the hand-over.
 */
const eventLoopSendBytes = 128 * 1024;

let sendfileDownloadsStarted = 0;

/** For tests: how many downloads went through sendfile(2) so far. */
export function sendfileDownloadCount(): number {
  return sendfileDownloadsStarted;
}

/**
 * An open file and the size fstat gave for it. Reading stops at that size: no extra read(2) to
 * discover end-of-file, and a file that grows meanwhile is sent as the 150 reply announced it.
 */
export class LocalDownload implements DownloadSource {
  #stream: Readable | null = null;
  #isUsed = false;

  /** Takes ownership of `fd`: it is closed when the download ends, however it ends. */
  constructor(
    private readonly fd: number,
    private readonly start: number,
    readonly size: number,
    private readonly io: InlineFileIo,
  ) {}

  get stream(): Readable {
    if (this.#stream) return this.#stream;
    this.#claim();
    // Opened by descriptor, so errors the stream may emit later name no path.
    const end = this.size > this.start ? { end: this.size - 1 } : {};
    this.#stream = createReadStream('', { fd: this.fd, start: this.start, ...end, highWaterMark: chunkBytes, autoClose: true });
    return this.#stream;
  }

  /**
   * DownloadSource.sendToSocket: sendfile(2), the first eventLoopSendBytes right away, the rest on
   * the helper's sender thread (native/send_from_file.c), for downloads from a known local file
   * system (fileIo 'auto': a network file system may not serve sendfile well, and 'thread-pool'
   * asks for no file call on the event loop).
   */
  sendToSocket(socketFd: number, options: { signal: AbortSignal; stallTimeoutMs: number }): SendingDownload | null {
    const sender = nativeFileSender();
    if (sender === null || this.#isUsed || !this.io.isLocalFileSystem) return null;
    const length = Math.max(0, this.size - this.start);
    // The first bytes go out from the event loop only where inline file calls are allowed, and
    // timed by the watchdog like them: a page-cache miss would block it as a read would.
    const firstBytes = this.io.isAllowed ? eventLoopSendBytes : 0;
    const start = (): RunningSocketTransfer => sender.sendFromFile(socketFd, this.fd, this.start, length, options.stallTimeoutMs, firstBytes);
    const sending = startSenderTransfer(firstBytes > 0 ? () => this.io.run(start) : start, options.signal);
    if (sending === null) return null;
    sendfileDownloadsStarted++;
    this.#claim();
    const done = sending.done.finally(() => this.#close());
    return { done, bytes: () => sending.bytes() };
  }

  async sendTo(destination: Writable, signal: AbortSignal): Promise<void> {
    this.#claim();
    try {
      await sendFileRange(this.fd, this.start, Math.max(this.start, this.size), destination, signal, this.io);
    } finally {
      await this.#close();
    }
  }

  discard(): void {
    if (this.#stream) this.#stream.destroy();
    else if (!this.#isUsed) {
      this.#isUsed = true;
      void this.#close();
    }
  }

  #close(): Promise<void> {
    // close(2) fails only for a bad descriptor; nothing is left to release then.
    return this.io.call(
      () => closeSync(this.fd),
      () => new Promise<void>((resolve) => close(this.fd, () => resolve())),
    ).catch(() => undefined);
  }

  #claim(): void {
    if (this.#isUsed) throw new Error('a download source is read once');
    this.#isUsed = true;
  }
}
