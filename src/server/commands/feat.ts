import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** FEAT (RFC 2389 §3): the extensions, each line from the command that provides it. */
export const featCommand: CommandSpec = {
  name: 'FEAT',
  help: 'FEAT',
  argument: 'none',
  requiresLogin: false,
  handle(context) {
    // Feature lines start with a space (RFC 2389 §3.2).
    const lines = context.registry.featLines(context).map((line) => ` ${line}`);
    context.reply(ReplyCode.SystemStatus, ['Features:', ...lines, 'End']);
  },
};
