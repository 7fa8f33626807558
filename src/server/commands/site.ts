import { ReplyCode } from '../../protocol/reply-code.js';
import { rootPath } from '../../protocol/virtual-path.js';
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
        const mode = parseInt(modeText, 8);
        // SECURITY: setuid, setgid and sticky bits are refused: the server may run as root, so
        // 4755 on an upload would make a setuid-root program (hunt t29_misc). vsftpd masks to
        // 0777 silently; a clear refusal tells the client its mode was not applied.
        if (mode > 0o777) throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Only permission bits 0-777 are allowed.');
        const path = context.resolvePath(pathArgument);
        // SECURITY: the account's root is not the user's to change, as RMD and RNFR refuse "/".
        if (path === rootPath) throw new CommandError(ReplyCode.FileUnavailable, 'Cannot change the mode of the root directory.');
        await account.storage.changeMode(path, mode);
        context.reply(ReplyCode.CommandOk, 'SITE CHMOD command ok.');
        return;
      }
      default:
        throw new CommandError(ReplyCode.SyntaxError, 'Unknown SITE command.');
    }
  },
};
