import { receiveFile } from '../file-transfers.js';
import type { CommandSpec } from './command-spec.js';

/** STOR (RFC 959 §4.1.3): upload, replacing the file (or from the REST offset). */
export const storCommand: CommandSpec = {
  name: 'STOR',
  keepsRestartOffset: true,
  help: 'STOR <sp> pathname',
  argument: 'file',
  permission: 'write',
  handle: (context, argument) => receiveFile(context, context.resolvePath(argument), { mode: 'truncate' }),
};
