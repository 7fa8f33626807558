/** The `ferry` client commands: ls, get, put, mkdir, rm, mv, mirror. */
import type { Command } from 'commander';
import { registerListCommand } from './list-command.js';
import { registerGetCommand } from './get-command.js';
import { registerPutCommand } from './put-command.js';
import { registerRemoteFileCommands } from './remote-file-commands.js';
import { registerMirrorCommand } from './mirror-command.js';

/** Register the client commands on the `ferry` program. */
export function registerClientCommands(program: Command): void {
  registerListCommand(program);
  registerGetCommand(program);
  registerPutCommand(program);
  registerRemoteFileCommands(program);
  registerMirrorCommand(program);
}
