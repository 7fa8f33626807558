/**
 * RETR/STOR/APPE/STOU byte moving: storage ↔ data socket through `await pipeline(...)` under the
 * transfer's AbortSignal, with TYPE A conversion when asked. 226 is sent by the TransferRunner only
 * after `pipeline` resolved, i.e. after the file was completely written (or sent). Plain binary
 * transfers of local files take the storage's fast paths instead (DownloadSender with
 * DownloadSource.sendToSocket or sendTo, UploadReceiver with UploadTarget.receiveFrom or writeNow),
 * with the same completion and failure semantics.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createLocalToNetworkAscii, createNetworkToLocalAscii } from '../protocol/ascii-transform.js';
import { ReplyCode } from '../protocol/reply-code.js';
import type { VirtualPath } from '../protocol/virtual-path.js';
import type { DownloadSource, UploadTarget, WriteOptions } from '../storage/storage.js';
import type { CommandContext } from './command-context.js';
import { createBandwidthThrottle, effectiveBandwidth } from './data/bandwidth-throttle.js';
import type { TransferOutcome } from './data/transfer.js';
import { DownloadSender } from './data/download-sender.js';
import { failOnResetAtEnd, watchResetAtEnd } from './data/reset-at-end.js';
import { offersFastUpload, UploadReceiver } from './data/upload-receiver.js';
import { CommandError } from './errors.js';

/** Transforms between storage and socket: TYPE A conversion and the bandwidth cap, as configured. */
function middleStages(context: CommandContext, direction: 'download' | 'upload'): Duplex[] {
  const stages: Duplex[] = [];
  if (context.state.transferType === 'ascii') {
    stages.push(direction === 'download' ? createLocalToNetworkAscii() : createNetworkToLocalAscii());
  }
  const caps = effectiveBandwidth(context.config.bandwidth, context.requireAccount());
  const cap = direction === 'download' ? caps.downloadBytesPerSecond : caps.uploadBytesPerSecond;
  if (cap > 0) stages.push(createBandwidthThrottle(cap));
  return stages;
}

/** `await pipeline(source, ...middle, destination)` with a signal; typed for a variable middle. */
function pipeThrough(source: Readable, middle: Duplex[], destination: Writable, signal: AbortSignal): Promise<void> {
  return (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...middle, destination, { signal });
}

function modeName(context: CommandContext): string {
  return context.state.transferType === 'ascii' ? 'ASCII' : 'BINARY';
}

/**
 * Destroy a stream (if the failure has not already) and resolve once it has closed, i.e. its
 * _destroy finished. Never rejects: the transfer's own error is what gets reported.
 */
async function destroyedAndClosed(stream: Writable, error: unknown): Promise<void> {
  if (!stream.destroyed) stream.destroy(error instanceof Error ? error : new Error(String(error)));
  await finished(stream).catch(() => undefined);
}

/** Take the pending REST offset (it applies to one transfer only). */
function takeRestartOffset(context: CommandContext): number {
  const offset = context.state.restartOffset;
  context.state.restartOffset = 0;
  return offset;
}

/** Log the transfer summary and, only for a completed one (after its 226), emit the server event. */
function reportTransfer(context: CommandContext, direction: 'download' | 'upload', path: VirtualPath, outcome: TransferOutcome): void {
  context.log.info({ transfer: direction, path, bytes: outcome.bytes, durationMs: outcome.durationMs, outcome: outcome.status }, 'transfer');
  if (outcome.status !== 'completed') return;
  const event = { sessionId: context.sessionId, username: context.requireAccount().username, path, bytes: outcome.bytes, durationMs: outcome.durationMs };
  if (direction === 'download') context.events.emitDownloadFinished(event);
  else context.events.emitUploadFinished(event);
}

/** RETR: send a file (from the REST offset) over the data connection. */
export async function sendFile(context: CommandContext, path: VirtualPath, displayName: string): Promise<void> {
  const account = context.requireAccount();
  const offset = takeRestartOffset(context);
  let source: DownloadSource | null = null;
  let isSourceHandedOver = false;
  try {
    const outcome = await context.transfers.run(async () => {
      // One open gives the stream and its size (a separate stat would cost two more thread-pool
      // trips); a directory fails here as 550 "Is a directory".
      const opened = (source = await account.storage.openRead(path, { start: offset }));
      if (offset > opened.size) throw new CommandError(ReplyCode.FileUnavailable, 'Restart offset is beyond the end of the file.');
      const stages = middleStages(context, 'download');
      // Plain binary download: let the storage send into the socket itself (sendfile, recycled buffers).
      const sender = stages.length === 0 ? new DownloadSender(opened) : null;
      return {
        direction: 'download',
        openingText: `Opening ${modeName(context)} mode data connection for ${displayName} (${opened.size - offset} bytes).`,
        ...(sender
          ? {
              bytesMoved: () => sender.bytesSent,
              sendToDescriptor: (descriptor, options) => {
                const sending = sender.sendToDescriptor(descriptor, options);
                if (sending) isSourceHandedOver = true;
                return sending;
              },
            }
          : {}),
        move: async (socket, signal) => {
          isSourceHandedOver = true;
          if (sender) return await sender.send(socket, signal);
          await pipeThrough(opened.stream, stages, socket, signal);
          return socket.bytesWritten;
        },
      };
    });
    reportTransfer(context, 'download', path, outcome);
  } finally {
    if (!isSourceHandedOver) (source as DownloadSource | null)?.discard();
  }
}

/** STOR/APPE/STOU: receive a file over the data connection into storage. */
export async function receiveFile(
  context: CommandContext,
  path: VirtualPath,
  options: { mode: 'truncate' | 'append'; isExclusive?: boolean; openingText?: string; completionText?: string },
): Promise<void> {
  const account = context.requireAccount();
  const offset = takeRestartOffset(context);
  const writeOptions: WriteOptions = {
    mode: offset > 0 && options.mode === 'truncate' ? { offset } : options.mode,
    ...(options.isExclusive ? { isExclusive: true } : {}),
  };
  let target: UploadTarget | null = null;
  let isTargetHandedOver = false;
  try {
    const outcome = await context.transfers.run(async () => {
      // Opened (and truncated) only after the data-connection checks: STOR without PASV/PORT is a
      // 425 that leaves the file as it was.
      const opened = (target = await account.storage.openWrite(path, writeOptions));
      const stages = middleStages(context, 'upload');
      // Plain binary upload to a storage with a fast path: splice the socket into the file, or read
      // it into a recycled buffer written inline (a TLS socket's chunks are copied into that buffer).
      const receiver = stages.length === 0 && offersFastUpload(opened) ? new UploadReceiver(opened) : null;
      return {
        direction: 'upload',
        openingText: options.openingText ?? `Ok to send data (${modeName(context)} mode).`,
        ...(options.completionText ? { completionText: options.completionText } : {}),
        ...(receiver ? { readInto: receiver.onread, bytesMoved: () => receiver.bytesReceived } : {}),
        move: async (socket, signal, readsInto) => {
          isTargetHandedOver = true;
          try {
            if (receiver) {
              await receiver.receive(socket, signal, readsInto);
              return receiver.bytesReceived;
            }
            await pipeThrough(socket, [...failOnResetAtEnd(watchResetAtEnd(socket)), ...stages], opened.stream, signal);
            return socket.bytesRead;
          } catch (error) {
            // The failure reply (426, 451, …) waits until the storage has let go of the file: its
            // upload lock goes when the descriptor is closed, which may queue in the thread pool,
            // and a client retrying right after 426 must not be refused with 450.
            await destroyedAndClosed(opened.stream, error);
            throw error;
          }
        },
      };
    });
    reportTransfer(context, 'upload', path, outcome);
  } finally {
    // Data connection never opened: give the storage back its handle (partial-file policy applies).
    const unused = isTargetHandedOver ? null : (target as UploadTarget | null);
    if (unused) {
      // Regression: destroying with an error and no listener crashed the process (STOR without PASV).
      unused.stream.on('error', () => undefined);
      unused.stream.destroy(new Error('upload cancelled before data arrived'));
    }
  }
}
