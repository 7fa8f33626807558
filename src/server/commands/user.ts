import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** USER (RFC 959 §4.1.1): start a login; a new USER abandons the current login. */
export const userCommand: CommandSpec = {
  name: 'USER',
  help: 'USER <sp> username',
  argument: 'required',
  requiresLogin: false,
  handle(context, argument) {
    if (context.config.tls.requireForLogin && !context.security.isSecure) {
      // RFC 4217 §11: policy requires TLS before credentials cross the wire.
      context.reply(ReplyCode.ProtectionLevelDenied, 'Login requires TLS: use AUTH TLS first.');
      return;
    }
    if (context.state.isLoggedIn) {
      context.state.reset();
    }
    context.state.pendingUsername = argument;
    context.reply(ReplyCode.UserNameOkNeedPassword, 'Please specify the password.');
  },
};
