import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/**
 * QUIT (RFC 959 §4.1.1): close the session. During a transfer the transfer finishes first and
 * gets its reply, then 221 is sent, as the RFC asks.
 */
export const quitCommand: CommandSpec = {
  name: 'QUIT',
  help: 'QUIT',
  argument: 'optional',
  requiresLogin: false,
  allowedDuringTransfer: true,
  async handle(context) {
    await context.transfers.waitForIdle();
    context.reply(ReplyCode.ServiceClosingControl, 'Goodbye.');
    context.closeAfterReplies('quit');
  },
};
