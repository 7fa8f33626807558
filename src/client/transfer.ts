/**
 * One data transfer on an open data channel. It completes only when BOTH the data stream ended
 * and the final reply arrived, in either order (basic-ftp's TransferResolver): a 226 that comes
 * before the last bytes, or bytes that end before a 451, are each only half the story.
 * Cancelling (AbortSignal, stalled data, a local write error, a listing over its limit) tears the
 * data socket down, sends ABOR and reads the replies it causes, so the control connection stays
 * in step and usable.
 */
import { Transform, type Readable, type Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OnReadOpts, Socket } from 'node:net';
import type { FtpReply } from '../protocol/reply.js';
import { isFailure, isPreliminary, ReplyCode } from '../protocol/reply-code.js';
import { describeCommand, type ControlConnection } from './control-connection.js';
import type { DataChannel } from './data-connection.js';
import { FtpAbortError, FtpProtocolError, FtpReplyError, FtpTimeoutError } from './errors.js';

/** A snapshot of a running transfer, given to `onProgress`. */
export interface TransferProgress {
  /** The remote path (or listing target) being transferred. */
  readonly remotePath: string;
  readonly direction: 'download' | 'upload';
  /** Position in the file: `startOffset` plus the bytes moved so far on this data connection. */
  readonly bytes: number;
  /** Bytes moved on this data connection. */
  readonly transferredBytes: number;
  /** Where this transfer started (REST/APPE resume offset), 0 for a fresh transfer. */
  readonly startOffset: number;
  /** The file's full size when known. */
  readonly totalBytes: number | undefined;
  /** Average rate of this transfer so far. */
  readonly bytesPerSecond: number;
  /** True for the last snapshot, sent once when the data side finished. */
  readonly isDone: boolean;
}

/**
 * A local file that moves its bytes over the data socket itself, faster than a stream would
 * (file-download-receiver.ts, file-upload-sender.ts).
 */
export interface LocalFileMover {
  /** Downloads: where a plain (not TLS) data socket should read (net.connect's `onread`). */
  readonly onread?: OnReadOpts;
  /**
   * Move the bytes until the file is complete (download: the socket ended and every byte is
   * written; upload: the file is sent and the socket ended). `readsInto`: the socket was made with
   * `onread`. `onBytes` gets the running total. Once it settled the caller may close the file.
   */
  move(socket: Socket, signal: AbortSignal, readsInto: boolean, onBytes: (bytes: number) => void): Promise<void>;
}

/** Whether a transfer's `local` is a LocalFileMover rather than a stream. */
export function isLocalFileMover(local: Writable | Readable | LocalFileMover): local is LocalFileMover {
  return typeof (local as Partial<LocalFileMover>).move === 'function';
}

/** Everything one transfer needs besides the connections. */
export interface TransferPlan {
  /** RETR, STOR, APPE, LIST, MLSD, … */
  readonly verb: string;
  readonly argument?: string;
  readonly direction: 'download' | 'upload';
  /**
   * Download: the sink, ended when the transfer completes. Upload: the source. Or a local file that
   * moves its bytes over the data socket itself (binary transfers; `transforms` are then unused).
   */
  readonly local: Writable | Readable | LocalFileMover;
  /** Applied between the socket and `local` (e.g. TYPE A newline conversion). */
  readonly transforms: readonly Transform[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TransferProgress) => void;
  readonly startOffset: number;
  readonly totalBytes?: number;
  /** The path reported in progress snapshots. */
  readonly remotePath: string;
}

/** Time limits for a transfer. */
export interface TransferLimits {
  /** No byte in either direction for this long means the data connection stalled. */
  readonly dataTimeoutMs: number;
  /** Limit for the preliminary reply, and for the final reply once the data side finished. */
  readonly replyTimeoutMs: number;
}

/** Minimum spacing of progress callbacks, so a fast loopback transfer does not flood the caller. */
const progressIntervalMs = 100;

/** Run `plan` over `channel`; resolves with the final reply. See the module comment for cancellation. */
export async function runTransfer(
  control: ControlConnection,
  channel: DataChannel,
  plan: TransferPlan,
  limits: TransferLimits,
): Promise<FtpReply> {
  const command = describeCommand(plan.verb, plan.argument);
  const dataAbort = new AbortController();
  const onCallerAbort = () => dataAbort.abort(new FtpAbortError(`transfer aborted (${command})`));
  if (plan.signal?.aborted) {
    channel.close();
    throw new FtpAbortError(`transfer aborted (${command})`);
  }
  plan.signal?.addEventListener('abort', onCallerAbort, { once: true });
  let isFinalReplyPending = true;

  try {
    control.send(plan.verb, plan.argument);
  } catch (error) {
    plan.signal?.removeEventListener('abort', onCallerAbort);
    channel.close();
    throw error;
  }

  let onFirstReply: () => void = () => undefined;
  const firstReplyArrived = new Promise<void>((resolve) => (onFirstReply = resolve));
  const replyDone = (async () => {
    const first = await control.readReply(limits.replyTimeoutMs);
    onFirstReply();
    // While data flows the final reply may take as long as the transfer; the data side has its own stall limit.
    const final = isPreliminary(first.replyCode) ? await control.readFinalReply(Infinity) : first;
    isFinalReplyPending = false;
    if (isFailure(final.replyCode)) throw new FtpReplyError(final, command);
    return final;
  })();
  // A refused command means no data will come: stop waiting for it at once. A control connection
  // that closed (reset by the network, by the server, or close() by the caller) is reported as
  // what it is: as the final reply is then still pending, this reason is the error the transfer
  // rejects with, and callers retry a lost connection but not a refusal.
  replyDone.catch((error: unknown) =>
    dataAbort.abort(error instanceof FtpReplyError || !(error instanceof Error) ? new FtpAbortError('transfer refused') : error),
  );

  const dataDone = (async () => {
    // FTPS: the TLS handshake only after the 150 (see data-connection.ts for which servers need it).
    if (channel.isProtected) await untilAborted(firstReplyArrived, dataAbort.signal);
    const socket = await channel.connected(dataAbort.signal);
    await pipeData(socket, channel.readsInto, plan, limits, dataAbort.signal);
  })();

  try {
    await dataDone;
  } catch (dataError) {
    channel.close();
    if (!isFinalReplyPending) {
      // The reply side failed first (e.g. 550) and stopped the data side; report the reply.
      await replyDone;
      throw dataError;
    }
    await abortOnControl(control, replyDone, limits);
    throw dataError;
  } finally {
    plan.signal?.removeEventListener('abort', onCallerAbort);
  }
  try {
    return await withTimeout(replyDone, limits.replyTimeoutMs, () =>
      control.close(new FtpTimeoutError(`no final reply within ${limits.replyTimeoutMs} ms after the data ended (${command})`)),
    );
  } finally {
    // Closed only now: destroying an upload socket before the server confirmed could cut its tail.
    channel.close();
  }
}

/** Replies to wait for behind ABOR before giving up on resynchronising the control connection. */
const maxRepliesAfterAbort = 6;

/**
 * Send ABOR and bring the control connection back in step. Servers answer differently: RFC 959
 * §4.1.3 describes 426 then 226, vsftpd answers 426 and later 225, pyftpdlib sometimes sends a
 * single 225 and no reply for the transfer at all. So a PWD is sent right behind ABOR, and replies
 * are read until its 257, a code neither ABOR nor a transfer can produce.
 */
async function abortOnControl(control: ControlConnection, replyDone: Promise<FtpReply>, limits: TransferLimits): Promise<void> {
  try {
    control.sendAbort();
    control.send('PWD');
    const transferReplyCode = await withTimeout(
      replyDone.then(
        (reply) => reply.replyCode,
        (error: unknown) => (error instanceof FtpReplyError ? error.replyCode : null),
      ),
      limits.replyTimeoutMs,
      () => control.close(new FtpTimeoutError('no reply to ABOR')),
    );
    if (transferReplyCode === ReplyCode.PathCreated) return;
    for (let count = 0; count < maxRepliesAfterAbort; count++) {
      const reply = await control.readReply(limits.replyTimeoutMs);
      if (reply.replyCode === ReplyCode.PathCreated) return;
    }
    control.close(new FtpProtocolError('control connection out of step after ABOR'));
  } catch {
    // The connection is closed by now (its close reason is what later calls report); the
    // caller's error is the one worth throwing.
  }
}

async function pipeData(socket: Socket, readsInto: boolean, plan: TransferPlan, limits: TransferLimits, signal: AbortSignal): Promise<void> {
  socket.setTimeout(limits.dataTimeoutMs, () => {
    socket.destroy(new FtpTimeoutError(`data connection stalled: no data for ${limits.dataTimeoutMs} ms`));
  });
  const progress = new ProgressReporter(plan);
  try {
    if (isLocalFileMover(plan.local)) {
      await plan.local.move(socket, signal, readsInto, (bytes) => progress.update(bytes));
      progress.finish();
    } else if (plan.direction === 'download') {
      await pipeline([socket, progress.counter(), ...plan.transforms, plan.local as Writable], { signal });
    } else {
      await pipeline([plan.local as Readable, ...plan.transforms, progress.counter(), socket], { signal });
    }
  } catch (error) {
    // pipeline rejects with a generic AbortError when the signal fires; report our own reason.
    if (signal.aborted && signal.reason instanceof Error) throw signal.reason;
    throw error;
  }
}

/** Progress snapshots for one transfer, at most one per progressIntervalMs plus the final one. */
class ProgressReporter {
  readonly #plan: TransferPlan;
  readonly #startedAt = performance.now();
  #transferredBytes = 0;
  #lastReportAt = 0;

  constructor(plan: TransferPlan) {
    this.#plan = plan;
  }

  /** `transferredBytes` moved so far; reported when the last report is old enough. */
  update(transferredBytes: number): void {
    this.#transferredBytes = transferredBytes;
    if (!this.#plan.onProgress) return;
    const now = performance.now();
    if (now - this.#lastReportAt < progressIntervalMs) return;
    this.#lastReportAt = now;
    this.#report(false);
  }

  /** The data side finished: the last snapshot. */
  finish(): void {
    if (this.#plan.onProgress) this.#report(true);
  }

  /** A pass-through stage that counts what flows through it. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
        this.update(this.#transferredBytes + chunk.length);
        callback(null, chunk);
      },
      flush: (callback: TransformCallback) => {
        this.finish();
        callback();
      },
    });
  }

  #report(isDone: boolean): void {
    const plan = this.#plan;
    const transferredBytes = this.#transferredBytes;
    const elapsedSeconds = Math.max((performance.now() - this.#startedAt) / 1000, 0.001);
    plan.onProgress?.({
      remotePath: plan.remotePath,
      direction: plan.direction,
      bytes: plan.startOffset + transferredBytes,
      transferredBytes,
      startOffset: plan.startOffset,
      totalBytes: plan.totalBytes,
      bytesPerSecond: transferredBytes / elapsedSeconds,
      isDone,
    });
  }
}

function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>(() => {
    timer = setTimeout(onTimeout, timeoutMs);
  });
  // onTimeout closes the control connection, which rejects `promise`; the race then settles.
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}
