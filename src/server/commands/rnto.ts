import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** RNTO (RFC 959 §4.1.3): complete a rename; 503 unless RNFR came right before. */
export const rntoCommand: CommandSpec = {
  name: 'RNTO',
  help: 'RNTO <sp> pathname',
  argument: 'path',
  permission: 'rename',
  async handle(context, argument) {
    const from = context.state.renameFrom;
    context.state.renameFrom = null;
    if (!from) throw new CommandError(ReplyCode.BadSequence, 'RNFR required first.');
    const to = context.resolvePath(argument);
    if (to === '/') throw new CommandError(ReplyCode.FileNameNotAllowed, 'Cannot rename onto the root directory.');
    await context.requireAccount().storage.rename(from, to);
    context.reply(ReplyCode.FileActionOk, 'Rename successful.');
  },
};
