/** Ferry's public API: the server, the client, the storage and authentication contracts, errors. */
export { FtpServer, ServerStartError, type FtpServerOptions } from './server/ftp-server.js';
export type { FtpServerEvents, LoginEvent, TransferFinishedEvent, SessionClosedEvent } from './server/server-events.js';
export { CommandError } from './server/errors.js';
export type { CommandSpec, ArgumentShape } from './server/commands/command-spec.js';
export type { CommandContext } from './server/command-context.js';

export {
  FtpClient,
  type FtpClientOptions,
  type FtpConnectOptions,
  type TransferOptions,
  type DownloadOptions,
  type UploadOptions,
  type TransferResult,
  type TransferType,
} from './client/ftp-client.js';
export { mirrorDownload, mirrorUpload, type MirrorOptions, type MirrorEvent, type MirrorSummary } from './client/mirror.js';
export type { TransferProgress } from './client/transfer.js';
export {
  FtpClientError,
  FtpReplyError,
  FtpConnectionClosedError,
  FtpProtocolError,
  FtpTimeoutError,
  FtpBusyError,
  FtpLimitExceededError,
  FtpUnsafeNameError,
  FtpDirectoryAliasError,
  FtpDataConnectionError,
  FtpAbortError,
  FtpTlsError,
} from './client/errors.js';
export type { FtpSecurity, FtpTlsOptions } from './client/tls-settings.js';

export { StorageError, type Storage, type StorageErrorKind, type FileStat, type ReadOptions, type WriteOptions, type UploadTarget, type DownloadSource } from './storage/storage.js';
export { LocalStorage, type LocalStorageOptions } from './storage/local-storage.js';
export type { FileIoMode } from './file-io/inline-file-io.js';
export { MemoryStorage } from './storage/memory-storage.js';
export type { Authenticator, Account, LoginContext } from './auth/authenticator.js';
export { AccountAuthenticator, type AccountDefinition } from './auth/account-authenticator.js';
export { allPermissions, type Permission } from './auth/permissions.js';
export { hashPassword, verifyPassword } from './auth/password-hash.js';
export { parseServerConfig, loadServerConfig, ConfigError, type ServerConfig, type ServerConfigInput } from './config/server-config.js';
export { ReplyCode } from './protocol/reply-code.js';
export type { FileEntry, FileType } from './protocol/listing/file-entry.js';
export type { VirtualPath } from './protocol/virtual-path.js';
