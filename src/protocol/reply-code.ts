/** Named FTP reply codes (RFC 959 §4.2, RFC 2228, RFC 2428, RFC 3659, RFC 4217). */
export const ReplyCode = {
  RestartMarker: 110,
  ServiceReadyInMinutes: 120,
  DataConnectionAlreadyOpen: 125,
  FileStatusOk: 150,
  CommandOk: 200,
  CommandNotImplementedSuperfluous: 202,
  SystemStatus: 211,
  DirectoryStatus: 212,
  FileStatus: 213,
  HelpMessage: 214,
  SystemType: 215,
  ServiceReady: 220,
  ServiceClosingControl: 221,
  DataConnectionOpenNoTransfer: 225,
  ClosingDataConnection: 226,
  EnteringPassiveMode: 227,
  EnteringExtendedPassiveMode: 229,
  UserLoggedIn: 230,
  SecurityDataExchangeComplete: 234,
  FileActionOk: 250,
  PathCreated: 257,
  UserNameOkNeedPassword: 331,
  NeedAccount: 332,
  FileActionPendingInfo: 350,
  ServiceNotAvailable: 421,
  CannotOpenDataConnection: 425,
  ConnectionClosedTransferAborted: 426,
  FileActionNotTakenBusy: 450,
  LocalErrorInProcessing: 451,
  InsufficientStorage: 452,
  SyntaxError: 500,
  SyntaxErrorInParameters: 501,
  CommandNotImplemented: 502,
  BadSequence: 503,
  ParameterNotImplemented: 504,
  NotLoggedIn: 530,
  NeedAccountForStoring: 532,
  /** RFC 2428 §2: EPRT/EPSV network protocol not supported. */
  NetworkProtocolNotSupported: 522,
  /** RFC 4217 §10: the data connection does not meet the TLS policy (same number as above). */
  DataConnectionPolicyRefused: 522,
  ProtectionLevelDenied: 534,
  FileUnavailable: 550,
  PageTypeUnknown: 551,
  ExceededStorageAllocation: 552,
  FileNameNotAllowed: 553,
} as const;

/** A reply code value from {@link ReplyCode}, or any other three-digit code a peer sends. */
export type ReplyCodeValue = (typeof ReplyCode)[keyof typeof ReplyCode] | number;

/** True for 1yz replies: a preliminary reply, another reply follows (RFC 959 §4.2). */
export function isPreliminary(replyCode: number): boolean {
  return replyCode >= 100 && replyCode < 200;
}

/** True for 4yz and 5yz replies: the command failed. */
export function isFailure(replyCode: number): boolean {
  return replyCode >= 400;
}
