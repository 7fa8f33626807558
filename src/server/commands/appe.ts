import { receiveFile } from '../file-transfers.js';
import type { CommandSpec } from './command-spec.js';

/** APPE (RFC 959 §4.1.3): upload, appending to the file (created when missing). */
export const appeCommand: CommandSpec = {
  name: 'APPE',
  keepsRestartOffset: true,
  help: 'APPE <sp> pathname',
  argument: 'file',
  permission: 'append',
  handle: (context, argument) => receiveFile(context, context.resolvePath(argument), { mode: 'append' }),
};
