/** The typed events an FtpServer emits; sessions report to the server through this sink. */

/** Emitted after a successful PASS. */
export interface LoginEvent {
  readonly sessionId: string;
  readonly username: string;
  readonly clientAddress: string;
  readonly isAnonymous: boolean;
}

/** Emitted after a transfer's 226 reply was sent (never for an aborted or failed one). */
export interface TransferFinishedEvent {
  readonly sessionId: string;
  readonly username: string;
  /** Virtual path of the file. */
  readonly path: string;
  /** Bytes moved over the data connection. */
  readonly bytes: number;
  readonly durationMs: number;
}

/** Emitted once when a control connection has closed and its resources are released. */
export interface SessionClosedEvent {
  readonly sessionId: string;
  readonly clientAddress: string;
  readonly username: string | null;
  readonly reason: string;
}

/** Event name → payload, for FtpServer's typed `on`. */
export interface FtpServerEvents {
  login: [LoginEvent];
  uploadFinished: [TransferFinishedEvent];
  downloadFinished: [TransferFinishedEvent];
  sessionClosed: [SessionClosedEvent];
  /** A session or listener failed unexpectedly; the server keeps running. */
  error: [Error];
}

/** Where sessions send their events. */
export interface ServerEventSink {
  emitLogin(event: LoginEvent): void;
  emitUploadFinished(event: TransferFinishedEvent): void;
  emitDownloadFinished(event: TransferFinishedEvent): void;
}
