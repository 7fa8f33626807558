import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** Mechanisms accepted by AUTH: TLS (RFC 4217 §4), TLS-C (same), SSL (the pre-RFC name clients still send). */
const tlsMechanisms = new Set(['TLS', 'TLS-C', 'SSL']);

/**
 * AUTH (RFC 2228 §3, RFC 4217 §4): reply 234, then the TLS handshake on the control connection.
 * A successful AUTH clears the login (RFC 2228: the user must reauthorise after AUTH).
 */
export const authCommand: CommandSpec = {
  name: 'AUTH',
  help: 'AUTH <sp> TLS',
  argument: 'required',
  requiresLogin: false,
  featLine: (context) => (context.security.canUpgrade || context.security.isSecure ? 'AUTH TLS' : null),
  async handle(context, argument) {
    const { security } = context;
    if (security.isSecure) {
      context.reply(ReplyCode.BadSequence, 'Already using TLS.');
      return;
    }
    if (!security.canUpgrade) {
      context.reply(ReplyCode.CommandNotImplemented, 'TLS is not configured on this server.');
      return;
    }
    if (!tlsMechanisms.has(argument.toUpperCase())) {
      context.reply(ReplyCode.ParameterNotImplemented, `AUTH ${argument} not supported; use AUTH TLS.`);
      return;
    }
    context.dataChannel.close();
    context.state.reset();
    context.reply(ReplyCode.SecurityDataExchangeComplete, 'Proceed with TLS negotiation.');
    await security.upgrade();
  },
};
