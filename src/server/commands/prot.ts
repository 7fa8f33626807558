import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** RFC 2228 §4: 536 "Requested PROT level not supported by mechanism" (S and E have no TLS meaning). */
const protectionLevelNotSupported = 536;

/**
 * PROT (RFC 2228 §3, RFC 4217 §9): C leaves data connections clear, P protects them with TLS.
 * It needs a PBSZ first (RFC 4217 §9: PBSZ must precede PROT).
 */
export const protCommand: CommandSpec = {
  name: 'PROT',
  keepsRestartOffset: true,
  help: 'PROT <sp> C|P',
  argument: 'required',
  requiresLogin: false,
  featLine: (context) => (context.security.canUpgrade || context.security.isSecure ? 'PROT' : null),
  handle(context, argument) {
    const { security } = context;
    if (!security.isSecure) {
      context.reply(ReplyCode.BadSequence, 'PROT only after AUTH TLS.');
      return;
    }
    if (!security.hasProtectionBufferSize) {
      context.reply(ReplyCode.BadSequence, 'PROT only after PBSZ.');
      return;
    }
    const level = argument.toUpperCase();
    if (level === 'C' || level === 'P') {
      security.protectionLevel = level;
      context.reply(ReplyCode.CommandOk, `Protection level set to ${level === 'P' ? 'Private' : 'Clear'}.`);
      return;
    }
    if (level === 'S' || level === 'E') {
      context.reply(protectionLevelNotSupported, `PROT ${level} not supported by TLS; use PROT P or PROT C.`);
      return;
    }
    context.reply(ReplyCode.ParameterNotImplemented, 'Unknown protection level; use PROT P or PROT C.');
  },
};
