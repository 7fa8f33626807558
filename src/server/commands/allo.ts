import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** ALLO (RFC 959 §4.1.3): no pre-allocation is needed; superfluous. */
export const alloCommand: CommandSpec = {
  name: 'ALLO',
  keepsRestartOffset: true,
  help: 'ALLO <sp> decimal-integer',
  argument: 'optional',
  handle(context) {
    context.reply(ReplyCode.CommandNotImplementedSuperfluous, 'ALLO command ignored.');
  },
};
