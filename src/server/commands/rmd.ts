import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** RMD (RFC 959 §4.1.3), alias XRMD: remove an empty directory (never the root). */
export const rmdCommand: CommandSpec = {
  name: 'RMD',
  aliases: ['XRMD'],
  help: 'RMD <sp> pathname',
  argument: 'path',
  permission: 'delete',
  async handle(context, argument) {
    const path = context.resolvePath(argument);
    if (path === '/') throw new CommandError(ReplyCode.FileUnavailable, 'Cannot remove the root directory.');
    await context.requireAccount().storage.removeDirectory(path);
    context.reply(ReplyCode.FileActionOk, 'Remove directory operation successful.');
  },
};
