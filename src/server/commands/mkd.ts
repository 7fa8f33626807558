import { ReplyCode } from '../../protocol/reply-code.js';
import { quotePathForReply } from '../../protocol/virtual-path.js';
import type { CommandSpec } from './command-spec.js';

/** MKD (RFC 959 §4.1.3), alias XMKD: 257 with the quoted absolute path. */
export const mkdCommand: CommandSpec = {
  name: 'MKD',
  aliases: ['XMKD'],
  help: 'MKD <sp> pathname',
  argument: 'path',
  permission: 'mkdir',
  async handle(context, argument) {
    const path = context.resolvePath(argument);
    await context.requireAccount().storage.makeDirectory(path);
    context.reply(ReplyCode.PathCreated, `${quotePathForReply(path)} created`);
  },
};
