import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** REST (RFC 3659 §5, stream mode): the byte offset for the next RETR or STOR. */
export const restCommand: CommandSpec = {
  name: 'REST',
  keepsRestartOffset: true,
  help: 'REST <sp> byte-offset',
  argument: 'required',
  featLine: 'REST STREAM',
  handle(context, argument) {
    const text = argument.trim();
    if (!/^\d{1,15}$/.test(text)) throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Bad REST offset.');
    context.state.restartOffset = Number(text);
    context.reply(ReplyCode.FileActionPendingInfo, `Restart position accepted (${text}).`);
  },
};
