import { sendFile } from '../file-transfers.js';
import type { CommandSpec } from './command-spec.js';

/** RETR (RFC 959 §4.1.3): download a file, from the REST offset if one was given. */
export const retrCommand: CommandSpec = {
  name: 'RETR',
  keepsRestartOffset: true,
  help: 'RETR <sp> pathname',
  argument: 'file',
  permission: 'read',
  handle: (context, argument) => sendFile(context, context.resolvePath(argument), argument),
};
