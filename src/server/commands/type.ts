import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/**
 * TYPE (RFC 959 §3.1.1, §4.1.2): A and A N (ASCII, non-print), I and L 8 (image/binary).
 * EBCDIC and Telnet/ASA format controls are not supported (504).
 */
export const typeCommand: CommandSpec = {
  name: 'TYPE',
  keepsRestartOffset: true,
  help: 'TYPE <sp> type-code (A, A N, I, L 8)',
  argument: 'required',
  handle(context, argument) {
    const words = argument.trim().toUpperCase().split(/\s+/);
    const [code, parameter] = words;
    if (words.length > 2) throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Unrecognised TYPE command.');
    if (code === 'A' && (parameter === undefined || parameter === 'N')) {
      context.state.transferType = 'ascii';
      context.reply(ReplyCode.CommandOk, 'Switching to ASCII mode.');
    } else if ((code === 'I' && parameter === undefined) || (code === 'L' && parameter === '8')) {
      context.state.transferType = 'image';
      context.reply(ReplyCode.CommandOk, 'Switching to Binary mode.');
    } else if (code === 'E' || (code === 'A' && (parameter === 'T' || parameter === 'C')) || code === 'L') {
      throw new CommandError(ReplyCode.ParameterNotImplemented, 'Type not supported.');
    } else {
      throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Unrecognised TYPE command.');
    }
  },
};
