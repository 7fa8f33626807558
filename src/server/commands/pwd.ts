import { ReplyCode } from '../../protocol/reply-code.js';
import { quotePathForReply } from '../../protocol/virtual-path.js';
import type { CommandSpec } from './command-spec.js';

/** PWD (RFC 959 §4.1.3, Appendix II quoting), alias XPWD. */
export const pwdCommand: CommandSpec = {
  name: 'PWD',
  aliases: ['XPWD'],
  help: 'PWD',
  argument: 'none',
  // TVFS (RFC 3659 §6): paths are Unix-like, "/"-separated, from one root.
  featLine: 'TVFS',
  handle(context) {
    context.reply(ReplyCode.PathCreated, `${quotePathForReply(context.state.cwd)} is the current directory`);
  },
};
