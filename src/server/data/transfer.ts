/**
 * One transfer at a time per session: reply 150, open the data connection, move the bytes under an
 * AbortSignal, and only then reply 226 (ARCHITECTURE.md convention 8). ABOR, a vanished client,
 * a stalled connection and storage failures each end in their own reply (426/425/451/452/55x).
 */
import { closeSync } from 'node:fs';
import type { OnReadOpts, Socket } from 'node:net';
import type { DescriptorTransfer } from '../../file-io/send-through-descriptor.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { StorageError } from '../../storage/storage.js';
import { CommandError, replyForError } from '../errors.js';
import type { DataChannel, DataDirection } from './data-channel.js';

/** What a transfer command asks the runner to do. */
export interface TransferSpec {
  /** Text of the 150 reply. */
  readonly openingText: string;
  /** Which way the bytes go (listings are downloads); FTPS renews TLS tickets only on downloads. */
  readonly direction: DataDirection;
  /** Text of the 226 reply. */
  readonly completionText?: string;
  /** For uploads into recycled buffers: the socket reads into these when it can (see data-channel.ts). */
  readonly readInto?: OnReadOpts;
  /** Bytes moved so far, where the socket's own counters do not see them (spliced uploads); for STAT. */
  readonly bytesMoved?: () => number;
  /**
   * Move the bytes between the data socket and storage; resolve with the byte count only when the
   * destination has everything (for uploads: the file is written and closed), and reject only once
   * the storage has let go of the file (an upload's lock is released before the failure reply).
   * `readsInto` tells whether the socket reads into `readInto`'s buffers (else it is an ordinary
   * stream).
   */
  move(dataSocket: Socket, signal: AbortSignal, readsInto: boolean): Promise<number>;
  /**
   * Optional, for downloads: send into the data connection's bare descriptor, taken from a native
   * passive port (DataChannel.takePendingDescriptor) instead of a socket; or answer null having
   * done nothing, and the runner makes the descriptor a socket for move(). The runner closes the
   * descriptor once `done` settled (the EOF of stream mode).
   */
  sendToDescriptor?(descriptor: number, options: { signal: AbortSignal; stallTimeoutMs: number }): DescriptorTransfer | null;
}

/** How a transfer ended. */
export interface TransferOutcome {
  readonly status: 'completed' | 'aborted' | 'failed';
  readonly bytes: number;
  readonly durationMs: number;
  readonly replyCode: number;
}

/** What the runner needs from its session. */
export interface TransferRunnerOptions {
  readonly channel: DataChannel;
  reply(replyCode: number, text: string): void;
  readonly dataStallTimeoutMs: number;
  /** Unexpected failures go to the log, never to the client. */
  logFailure(error: unknown): void;
}

/**
 * A transfer whose source or target is opened only after the data-connection checks passed (no
 * PASV/PORT is a 425 before the file is touched) and while the runner already counts as active
 * (an ABOR pipelined right behind RETR/STOR aborts it). Errors it throws are the command's own
 * (550, …) and propagate to the caller; nothing was replied for the transfer yet.
 */
export type TransferPreparation = () => Promise<TransferSpec>;

interface ActiveTransfer {
  readonly controller: AbortController;
  spec: TransferSpec | null;
  readonly finished: Promise<void>;
  readonly startedAt: number;
  socket: Socket | null;
}

/** Error used to destroy a data socket that made no progress in time. */
export class DataStallError extends Error {
  override readonly name = 'DataStallError';
  readonly code = 'ERR_FTP_DATA_STALLED';
}

/** Runs a session's transfers one at a time and lets ABOR cancel the running one. */
export class TransferRunner {
  private active: ActiveTransfer | null = null;

  constructor(private readonly options: TransferRunnerOptions) {}

  /** True while a transfer (including its data-connection setup) is in progress. */
  get isActive(): boolean {
    return this.active !== null;
  }

  /** A one-line description of the running transfer for STAT, or null. */
  describe(): string | null {
    if (!this.active) return null;
    const socket = this.active.socket;
    const bytes = this.active.spec?.bytesMoved?.() ?? (socket ? socket.bytesRead + socket.bytesWritten : 0);
    return `Transfer in progress: ${bytes} bytes so far, ${Math.round((Date.now() - this.active.startedAt) / 1000)} s.`;
  }

  /**
   * Run one transfer to its final reply. Never throws for a spec; with a preparation, throws only
   * what the preparation threw. Becomes active synchronously, before its first await.
   */
  async run(specOrPreparation: TransferSpec | TransferPreparation): Promise<TransferOutcome> {
    const controller = new AbortController();
    let markFinished!: () => void;
    const active: ActiveTransfer = {
      controller,
      spec: null,
      finished: new Promise<void>((resolve) => (markFinished = resolve)),
      startedAt: Date.now(),
      socket: null,
    };
    this.active = active;
    try {
      const refused = this.refusal(active);
      if (refused) return refused;
      const spec = typeof specOrPreparation === 'function' ? await specOrPreparation() : specOrPreparation;
      active.spec = spec;
      if (controller.signal.aborted) {
        // ABOR arrived while the file was being opened: no 150 yet; the prepared connection goes too.
        this.options.channel.close();
        this.options.reply(ReplyCode.ConnectionClosedTransferAborted, 'Transfer aborted.');
        return { status: 'aborted', replyCode: ReplyCode.ConnectionClosedTransferAborted, bytes: 0, durationMs: Date.now() - active.startedAt };
      }
      return await this.execute(spec, active);
    } finally {
      this.active = null;
      markFinished();
    }
  }

  /** Resolve when no transfer is running (QUIT waits for the current transfer, RFC 959 §4.1.1). */
  async waitForIdle(): Promise<void> {
    while (this.active) await this.active.finished;
  }

  /** Abort the running transfer; resolves after its final reply was sent. False when none ran. */
  async abort(): Promise<boolean> {
    const active = this.active;
    if (!active) return false;
    active.controller.abort();
    active.socket?.destroy();
    await active.finished;
    return true;
  }

  /** The reply-and-outcome for a transfer the data-channel policy refuses, or null when it may go on. */
  private refusal(active: ActiveTransfer): TransferOutcome | null {
    try {
      // No PASV/PORT yet (425), or RFC 4217 §10's data-protection refusal (vsftpd's 522): before 150.
      this.options.channel.assertTransferAllowed();
      return null;
    } catch (error) {
      const { replyCode, text } = replyForError(error);
      this.options.reply(replyCode, text);
      return { status: 'failed', replyCode, bytes: 0, durationMs: Date.now() - active.startedAt };
    }
  }

  private async execute(spec: TransferSpec, active: ActiveTransfer): Promise<TransferOutcome> {
    const { reply } = this.options;
    const signal = active.controller.signal;
    const outcome: OutcomeOf = (status, replyCode, bytes) => ({
      status,
      replyCode,
      bytes,
      durationMs: Date.now() - active.startedAt,
    });
    reply(ReplyCode.FileStatusOk, spec.openingText);
    let socket: Socket;
    let readsInto = false;
    const descriptor = spec.sendToDescriptor ? this.options.channel.takePendingDescriptor() : null;
    if (descriptor !== null) {
      let sending: DescriptorTransfer | null = null;
      try {
        sending = spec.sendToDescriptor!(descriptor, { signal, stallTimeoutMs: this.options.dataStallTimeoutMs });
      } catch (error) {
        this.options.logFailure(error); // a fault of the sender's: the socket path below still serves the client
      }
      if (sending) return await this.finishOnDescriptor(spec, descriptor, sending, signal, outcome);
      socket = this.options.channel.socketOn(descriptor);
    } else {
      try {
        ({ socket, readsInto } = await this.options.channel.open(signal, spec.direction, spec.readInto));
      } catch (error) {
        if (signal.aborted) {
          reply(ReplyCode.ConnectionClosedTransferAborted, 'Transfer aborted.');
          return outcome('aborted', ReplyCode.ConnectionClosedTransferAborted, 0);
        }
        const failure = replyForError(error);
        const replyCode = error instanceof CommandError ? failure.replyCode : ReplyCode.CannotOpenDataConnection;
        reply(replyCode, error instanceof CommandError ? failure.text : "Can't open data connection.");
        if (!(error instanceof CommandError)) this.options.logFailure(error);
        return outcome('failed', replyCode, 0);
      }
    }
    active.socket = socket;
    let isDataConnectionBroken = false;
    socket.on('error', () => {
      isDataConnectionBroken = true;
    });
    socket.setTimeout(this.options.dataStallTimeoutMs, () => socket.destroy(new DataStallError('data connection stalled')));
    try {
      const bytes = await spec.move(socket, signal, readsInto);
      return this.ending(spec, outcome, signal, bytes, null, false);
    } catch (error) {
      const bytes = spec.bytesMoved?.() ?? socket.bytesRead + socket.bytesWritten;
      return this.ending(spec, outcome, signal, bytes, { error }, isDataConnectionBroken);
    } finally {
      this.options.channel.releaseSocket(socket);
    }
  }

  /**
   * The end of a download sent into a bare descriptor: the replies move() on a socket would get.
   * The descriptor is closed before the 226, so the client has its EOF when it reads the reply
   * (a socket's close(2) does not block: Ferry never sets SO_LINGER).
   */
  private async finishOnDescriptor(spec: TransferSpec, descriptor: number, sending: DescriptorTransfer, signal: AbortSignal, outcome: OutcomeOf): Promise<TransferOutcome> {
    let failure: { readonly error: unknown } | null = null;
    try {
      const { ending } = await sending.done;
      if (ending === 'stalled') failure = { error: new DataStallError('data connection stalled') };
      else if (ending === 'cancelled') failure = { error: signal.reason };
    } catch (error) {
      failure = { error };
    }
    closeSync(descriptor);
    // The native sender says which side failed: the socket's errors are a lost connection.
    const isDataConnectionBroken = (failure?.error as { side?: string } | undefined)?.side === 'socket';
    return this.ending(spec, outcome, signal, sending.bytes(), failure, isDataConnectionBroken);
  }

  /** The final reply and outcome of a byte move that ended, without `failure` (226) or with it (426, 451, …). */
  private ending(spec: TransferSpec, outcome: OutcomeOf, signal: AbortSignal, bytes: number, failure: { readonly error: unknown } | null, isDataConnectionBroken: boolean): TransferOutcome {
    const { reply } = this.options;
    if (failure === null) {
      reply(ReplyCode.ClosingDataConnection, spec.completionText ?? 'Transfer complete.');
      return outcome('completed', ReplyCode.ClosingDataConnection, bytes);
    }
    if (signal.aborted) {
      reply(ReplyCode.ConnectionClosedTransferAborted, 'Transfer aborted.');
      return outcome('aborted', ReplyCode.ConnectionClosedTransferAborted, bytes);
    }
    const { replyCode, text } = classifyTransferError(failure.error, isDataConnectionBroken);
    if (replyCode === ReplyCode.LocalErrorInProcessing) this.options.logFailure(failure.error);
    reply(replyCode, text);
    return outcome('failed', replyCode, bytes);
  }
}

/** How a transfer's outcome is made from its status, reply code and bytes. */
type OutcomeOf = (status: TransferOutcome['status'], replyCode: number, bytes: number) => TransferOutcome;

/** Decide the reply for a failed byte move: storage kinds via the table, OS space errors, lost peers. */
function classifyTransferError(error: unknown, isDataConnectionBroken: boolean): { replyCode: number; text: string } {
  if (error instanceof DataStallError) {
    return { replyCode: ReplyCode.ConnectionClosedTransferAborted, text: 'Data connection stalled; transfer aborted.' };
  }
  if (error instanceof StorageError || error instanceof CommandError) {
    const { replyCode, text } = replyForError(error);
    return { replyCode, text };
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOSPC') return { replyCode: ReplyCode.InsufficientStorage, text: 'Insufficient storage space; transfer aborted.' };
  if (errno === 'EDQUOT') return { replyCode: ReplyCode.ExceededStorageAllocation, text: 'Storage quota exceeded; transfer aborted.' };
  if (
    isDataConnectionBroken ||
    errno === 'ECONNRESET' ||
    errno === 'EPIPE' ||
    errno === 'ERR_STREAM_PREMATURE_CLOSE' ||
    errno === 'ECONNABORTED'
  ) {
    return { replyCode: ReplyCode.ConnectionClosedTransferAborted, text: 'Data connection lost; transfer aborted.' };
  }
  return { replyCode: ReplyCode.LocalErrorInProcessing, text: 'Local error in processing; transfer aborted.' };
}
