import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** MODE (RFC 959 §4.1.2): only Stream mode. */
export const modeCommand: CommandSpec = {
  name: 'MODE',
  keepsRestartOffset: true,
  help: 'MODE <sp> S',
  argument: 'required',
  handle(context, argument) {
    const mode = argument.trim().toUpperCase();
    if (mode === 'S') return context.reply(ReplyCode.CommandOk, 'Mode set to S.');
    if (mode === 'B' || mode === 'C' || mode === 'Z') throw new CommandError(ReplyCode.ParameterNotImplemented, 'Bad MODE command.');
    throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Bad MODE command.');
  },
};
