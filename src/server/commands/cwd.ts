import { ReplyCode } from '../../protocol/reply-code.js';
import type { VirtualPath } from '../../protocol/virtual-path.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** Change the working directory after checking the target is a directory. */
export async function changeDirectory(context: CommandContext, path: VirtualPath): Promise<void> {
  const stat = await context.requireAccount().storage.stat(path);
  if (stat.type !== 'directory') throw new CommandError(ReplyCode.FileUnavailable, 'Failed to change directory.');
  context.state.cwd = path;
  context.reply(ReplyCode.FileActionOk, 'Directory successfully changed.');
}

/** CWD (RFC 959 §4.1.1), alias XCWD (RFC 775). */
export const cwdCommand: CommandSpec = {
  name: 'CWD',
  aliases: ['XCWD'],
  help: 'CWD <sp> pathname',
  argument: 'path',
  handle: (context, argument) => changeDirectory(context, context.resolvePath(argument)),
};
