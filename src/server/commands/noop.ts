import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** NOOP (RFC 959 §4.1.3): keep-alive. */
export const noopCommand: CommandSpec = {
  name: 'NOOP',
  keepsRestartOffset: true,
  help: 'NOOP',
  argument: 'optional',
  requiresLogin: false,
  allowedDuringTransfer: true,
  handle(context) {
    context.reply(ReplyCode.CommandOk, 'NOOP ok.');
  },
};
