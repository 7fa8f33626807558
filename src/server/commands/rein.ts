import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** REIN (RFC 959 §4.1.1): log out and return to the state of a new connection. */
export const reinCommand: CommandSpec = {
  name: 'REIN',
  help: 'REIN',
  argument: 'none',
  requiresLogin: false,
  async handle(context) {
    await context.transfers.abort();
    context.dataChannel.close();
    context.state.reset();
    context.reply(ReplyCode.ServiceReady, 'Ready for a new user.');
  },
};
