import { formatFtpTimestamp, parseFtpTimestamp } from '../../protocol/listing/mlsx.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** MFMT (draft-somers-ftp-mfxx): "MFMT YYYYMMDDHHMMSS path" sets the modification time. */
export const mfmtCommand: CommandSpec = {
  name: 'MFMT',
  help: 'MFMT <sp> YYYYMMDDHHMMSS <sp> pathname',
  argument: 'required',
  permission: 'write',
  featLine: 'MFMT',
  async handle(context, argument) {
    const spaceIndex = argument.indexOf(' ');
    const time = spaceIndex === -1 ? null : parseFtpTimestamp(argument.slice(0, spaceIndex));
    const pathArgument = spaceIndex === -1 ? '' : argument.slice(spaceIndex + 1);
    if (!time || !pathArgument) throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Usage: MFMT YYYYMMDDHHMMSS path');
    const path = context.resolvePath(pathArgument);
    const storage = context.requireAccount().storage;
    await storage.setModificationTime(path, time);
    // The reply carries the time actually set (draft-somers-ftp-mfxx), so it is read back: a file
    // system may store another (ext4 clamps anything before 1901-12-13; hunt t3_fsops).
    const { modifiedAt } = await storage.stat(path);
    if (!modifiedAt) throw new CommandError(ReplyCode.LocalErrorInProcessing, 'Modification time set but could not be read back.');
    context.reply(ReplyCode.FileStatus, `Modify=${formatFtpTimestamp(modifiedAt)}; ${pathArgument}`);
  },
};
