import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** RNFR (RFC 959 §4.1.3): remember an existing path for the RNTO that must follow. */
export const rnfrCommand: CommandSpec = {
  name: 'RNFR',
  help: 'RNFR <sp> pathname',
  argument: 'path',
  permission: 'rename',
  async handle(context, argument) {
    const path = context.resolvePath(argument);
    if (path === '/') throw new CommandError(ReplyCode.FileUnavailable, 'Cannot rename the root directory.');
    await context.requireAccount().storage.stat(path);
    context.state.renameFrom = path;
    context.reply(ReplyCode.FileActionPendingInfo, 'Ready for RNTO.');
  },
};
