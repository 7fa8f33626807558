import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** SIZE (RFC 3659 §4): the file's size in bytes as stored. */
export const sizeCommand: CommandSpec = {
  name: 'SIZE',
  help: 'SIZE <sp> pathname',
  argument: 'file',
  permission: 'list',
  featLine: 'SIZE',
  async handle(context, argument) {
    const stat = await context.requireAccount().storage.stat(context.resolvePath(argument));
    if (stat.type === 'directory') throw new CommandError(ReplyCode.FileUnavailable, 'Could not get file size.');
    context.reply(ReplyCode.FileStatus, String(stat.size));
  },
};
