import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/**
 * CCC (RFC 4217 §6): always refused. A clear control connection after login would let anyone on
 * the path read file names and inject commands into an authenticated session; the only reason to
 * allow it, NAT helpers that read PORT/PASV, is better served by EPSV and a fixed passive range.
 */
export const cccCommand: CommandSpec = {
  name: 'CCC',
  help: 'CCC',
  argument: 'none',
  requiresLogin: false,
  handle(context) {
    if (!context.security.isSecure) {
      context.reply(ReplyCode.BadSequence, 'CCC only after AUTH TLS.');
      return;
    }
    context.reply(ReplyCode.ProtectionLevelDenied, 'CCC refused by policy: the control connection stays encrypted.');
  },
};
