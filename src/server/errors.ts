/**
 * Server-side errors and the ONE table that turns an error into a reply
 * (ARCHITECTURE.md convention 5). OS messages and real paths never reach the client.
 */
import { ReplyCode } from '../protocol/reply-code.js';
import { StorageError, type StorageErrorKind } from '../storage/storage.js';

/** Fail the current command with this reply. The text is sent to the client as is. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly code = 'ERR_FTP_COMMAND';
  constructor(
    readonly replyCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A reply chosen for an error. */
export interface ErrorReply {
  readonly replyCode: number;
  readonly text: string;
  /** True when the error was unexpected and deserves a log entry with its stack. */
  readonly isUnexpected: boolean;
}

/** Storage failure kind → reply (RFC 959 §4.2: 450/451/452 transient, 55x permanent). */
const storageReplyCodes: Record<StorageErrorKind, number> = {
  'not-found': ReplyCode.FileUnavailable,
  'already-exists': ReplyCode.FileUnavailable,
  'not-a-directory': ReplyCode.FileUnavailable,
  'is-a-directory': ReplyCode.FileUnavailable,
  'directory-not-empty': ReplyCode.FileUnavailable,
  'permission-denied': ReplyCode.FileUnavailable,
  'no-space': ReplyCode.InsufficientStorage,
  'quota-exceeded': ReplyCode.ExceededStorageAllocation,
  'invalid-name': ReplyCode.FileNameNotAllowed,
  busy: ReplyCode.FileActionNotTakenBusy,
  'io-error': ReplyCode.LocalErrorInProcessing,
};

/** Map any error thrown by a command to its reply. Unknown errors become 451 with a generic text. */
export function replyForError(error: unknown): ErrorReply {
  if (error instanceof CommandError) {
    return { replyCode: error.replyCode, text: error.message, isUnexpected: false };
  }
  if (error instanceof StorageError) {
    return {
      replyCode: storageReplyCodes[error.kind],
      text: error.message,
      isUnexpected: error.kind === 'io-error',
    };
  }
  return {
    replyCode: ReplyCode.LocalErrorInProcessing,
    text: 'Requested action aborted: local error in processing.',
    isUnexpected: true,
  };
}
