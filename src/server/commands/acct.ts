import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** ACCT (RFC 959 §4.1.1): accounts are not used; accepted as superfluous. */
export const acctCommand: CommandSpec = {
  name: 'ACCT',
  help: 'ACCT <sp> account-information',
  argument: 'required',
  requiresLogin: false,
  handle(context) {
    context.reply(ReplyCode.CommandNotImplementedSuperfluous, 'ACCT not needed.');
  },
};
