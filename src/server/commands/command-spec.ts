/**
 * A command is a declarative spec (ARCHITECTURE.md convention 4): the dispatcher reads the guards
 * from it, FEAT and HELP are generated from the registry, and `handle` gets a narrow context.
 */
import type { Permission } from '../../auth/permissions.js';
import type { CommandContext } from '../command-context.js';

/**
 * How a command's argument is shaped; checked by the dispatcher before `handle` runs. 'file': a
 * path that must name a file, so one ending in "/" (or "/.") is refused, as the file system
 * refuses "name/" for a file (ENOTDIR) and vsftpd with it; virtual paths drop the slash, so the
 * storage could not tell.
 */
export type ArgumentShape = 'none' | 'optional' | 'required' | 'path' | 'file';

/** The declaration of one FTP command. */
export interface CommandSpec {
  /** The verb, upper case ("RETR"). */
  readonly name: string;
  /** Other verbs that run this command (RFC 775 "XPWD" for PWD). */
  readonly aliases?: readonly string[];
  /** Syntax shown by HELP ("RETR <sp> pathname"). */
  readonly help: string;
  readonly argument: ArgumentShape;
  /** False only for the few commands allowed before login. Default true. */
  readonly requiresLogin?: boolean;
  /** The permission the account must hold. */
  readonly permission?: Permission;
  /**
   * A pending REST offset survives this command: the transfer commands that take it (RETR, STOR,
   * APPE) and the parameter commands a client may send between REST and them (PASV, TYPE, …).
   * Any other command drops it, so a stale offset never cuts or pads a later upload.
   */
  readonly keepsRestartOffset?: boolean;
  /** Runs immediately even while a transfer is in progress (ABOR, STAT, NOOP, QUIT). */
  readonly allowedDuringTransfer?: boolean;
  /** The line this command adds to FEAT (RFC 2389), if any. */
  readonly featLine?: string | ((context: CommandContext) => string | null);
  /** Execute the command; throw CommandError (or StorageError) to fail with a reply. */
  handle(context: CommandContext, argument: string): Promise<void> | void;
}
