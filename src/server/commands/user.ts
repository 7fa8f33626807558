import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** USER (RFC 959 §4.1.1): start a login; a new USER abandons the current login. */
export const userCommand: CommandSpec = {
  name: 'USER',
  help: 'USER <sp> username',
  argument: 'required',
  requiresLogin: false,
  handle(context, argument) {
    const requiresTls = context.config.tls.requireForLogin || (context.authenticator.requiresTls?.(argument) ?? false);
    if (requiresTls && !context.security.isSecure) {
      // RFC 4217 §11: policy requires TLS before the password crosses the wire (vsftpd answers 530 too).
      context.reply(ReplyCode.NotLoggedIn, 'TLS required: use AUTH TLS before logging in.');
      return;
    }
    if (context.state.isLoggedIn) {
      context.state.reset();
    }
    context.state.pendingUsername = argument;
    context.reply(ReplyCode.UserNameOkNeedPassword, 'Please specify the password.');
  },
};
