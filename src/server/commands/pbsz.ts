import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/**
 * PBSZ (RFC 2228 §3, RFC 4217 §9): TLS has no protection buffer, so the size is always 0; any
 * other value is answered with "PBSZ=0", which tells the client the size the server chose.
 */
export const pbszCommand: CommandSpec = {
  name: 'PBSZ',
  keepsRestartOffset: true,
  help: 'PBSZ <sp> 0',
  argument: 'required',
  requiresLogin: false,
  featLine: (context) => (context.security.canUpgrade || context.security.isSecure ? 'PBSZ' : null),
  handle(context, argument) {
    if (!context.security.isSecure) {
      context.reply(ReplyCode.BadSequence, 'PBSZ only after AUTH TLS.');
      return;
    }
    if (!/^\d{1,10}$/.test(argument)) {
      context.reply(ReplyCode.SyntaxErrorInParameters, 'PBSZ needs a decimal size: PBSZ 0.');
      return;
    }
    context.security.hasProtectionBufferSize = true;
    context.reply(ReplyCode.CommandOk, 'PBSZ=0');
  },
};
