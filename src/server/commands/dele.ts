import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** DELE (RFC 959 §4.1.3): delete a file. */
export const deleCommand: CommandSpec = {
  name: 'DELE',
  help: 'DELE <sp> pathname',
  argument: 'file',
  permission: 'delete',
  async handle(context, argument) {
    await context.requireAccount().storage.deleteFile(context.resolvePath(argument));
    context.reply(ReplyCode.FileActionOk, 'Delete operation successful.');
  },
};
