import { parentPath } from '../../protocol/virtual-path.js';
import { changeDirectory } from './cwd.js';
import type { CommandSpec } from './command-spec.js';

/** CDUP (RFC 959 §4.1.1), alias XCUP: to the parent; the root is its own parent. */
export const cdupCommand: CommandSpec = {
  name: 'CDUP',
  aliases: ['XCUP'],
  help: 'CDUP',
  argument: 'none',
  handle: (context) => changeDirectory(context, parentPath(context.state.cwd)),
};
