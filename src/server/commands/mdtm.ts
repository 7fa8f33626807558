import { formatFtpTimestamp } from '../../protocol/listing/mlsx.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** MDTM (RFC 3659 §3): modification time as YYYYMMDDHHMMSS in UTC. */
export const mdtmCommand: CommandSpec = {
  name: 'MDTM',
  help: 'MDTM <sp> pathname',
  argument: 'file',
  permission: 'list',
  featLine: 'MDTM',
  async handle(context, argument) {
    const stat = await context.requireAccount().storage.stat(context.resolvePath(argument));
    if (stat.type === 'directory' || !stat.modifiedAt) throw new CommandError(ReplyCode.FileUnavailable, 'Could not get file modification time.');
    context.reply(ReplyCode.FileStatus, formatFtpTimestamp(stat.modifiedAt));
  },
};
