import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** SYST (RFC 959 §4.1.3): clients use "UNIX Type: L8" to choose the Unix listing parser. */
export const systCommand: CommandSpec = {
  name: 'SYST',
  help: 'SYST',
  argument: 'none',
  requiresLogin: false,
  handle(context) {
    context.reply(ReplyCode.SystemType, 'UNIX Type: L8');
  },
};
