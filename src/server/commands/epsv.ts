import { isIPv6 } from 'node:net';
import { formatEpsvReplyText } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** EPSV (RFC 2428 §3): passive mode for IPv4 and IPv6; "EPSV ALL" locks the session to EPSV. */
export const epsvCommand: CommandSpec = {
  name: 'EPSV',
  keepsRestartOffset: true,
  help: 'EPSV [<sp> 1 | 2 | ALL]',
  argument: 'optional',
  featLine: 'EPSV',
  async handle(context, argument) {
    const parameter = argument.trim().toUpperCase();
    if (parameter === 'ALL') {
      context.state.isEpsvAllMode = true;
      context.reply(ReplyCode.CommandOk, 'EPSV ALL ok.');
      return;
    }
    if (parameter !== '') {
      const controlFamily = isIPv6(context.localAddress) ? '2' : '1';
      if (parameter !== '1' && parameter !== '2') throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Bad EPSV argument.');
      if (parameter !== controlFamily) {
        throw new CommandError(ReplyCode.NetworkProtocolNotSupported, `Network protocol not supported, use (${controlFamily}).`);
      }
    }
    const port = await context.dataChannel.listenPassive();
    context.reply(ReplyCode.EnteringExtendedPassiveMode, formatEpsvReplyText(port));
  },
};
