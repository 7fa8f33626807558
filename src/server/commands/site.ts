import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** SITE (RFC 959 §4.1.3): CHMOD and HELP; other site commands get 500 like vsftpd's. */
export const siteCommand: CommandSpec = {
  name: 'SITE',
  help: 'SITE <sp> CHMOD <sp> mode <sp> pathname | SITE HELP',
  argument: 'required',
  async handle(context, argument) {
    const [subcommand = '', ...rest] = argument.split(' ');
    switch (subcommand.toUpperCase()) {
      case 'HELP':
        context.reply(ReplyCode.HelpMessage, 'SITE commands: CHMOD HELP');
        return;
      case 'CHMOD': {
        const account = context.requireAccount();
        if (!account.permissions.has('write')) throw new CommandError(ReplyCode.FileUnavailable, 'Permission denied.');
        const modeText = rest[0] ?? '';
        const pathArgument = rest.slice(1).join(' ');
        if (!/^[0-7]{1,4}$/.test(modeText) || !pathArgument) {
          throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Usage: SITE CHMOD <octal mode> <path>');
        }
        await account.storage.changeMode(context.resolvePath(pathArgument), parseInt(modeText, 8));
        context.reply(ReplyCode.CommandOk, 'SITE CHMOD command ok.');
        return;
      }
      default:
        throw new CommandError(ReplyCode.SyntaxError, 'Unknown SITE command.');
    }
  },
};
