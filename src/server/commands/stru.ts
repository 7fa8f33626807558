import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** STRU (RFC 959 §4.1.2): only File structure. */
export const struCommand: CommandSpec = {
  name: 'STRU',
  keepsRestartOffset: true,
  help: 'STRU <sp> F',
  argument: 'required',
  handle(context, argument) {
    const structure = argument.trim().toUpperCase();
    if (structure === 'F') return context.reply(ReplyCode.CommandOk, 'Structure set to F.');
    if (structure === 'R' || structure === 'P') throw new CommandError(ReplyCode.ParameterNotImplemented, 'Bad STRU command.');
    throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Bad STRU command.');
  },
};
