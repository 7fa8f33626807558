import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/**
 * ABOR (RFC 959 §4.1.3): with a transfer running, it gets 426 and then ABOR gets 226;
 * without one, ABOR gets 225 and any prepared data connection is dropped.
 */
export const aborCommand: CommandSpec = {
  name: 'ABOR',
  help: 'ABOR',
  argument: 'none',
  allowedDuringTransfer: true,
  async handle(context) {
    if (await context.transfers.abort()) {
      context.reply(ReplyCode.ClosingDataConnection, 'ABOR successful.');
      return;
    }
    context.dataChannel.close();
    context.reply(ReplyCode.DataConnectionOpenNoTransfer, 'No transfer to abort.');
  },
};
