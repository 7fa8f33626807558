/** The `ferry` command line: `serve`, `hash-password`, `cert`, and the client commands. */
import { Command } from 'commander';
import { registerServerCommands } from './server/register-server-commands.js';
import { registerClientCommands } from './client/register-client-commands.js';

/** Parse argv and run the chosen command. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('ferry')
    .description('Ferry: FTP server, client and file mover')
    .showHelpAfterError()
    .exitOverride((error) => {
      // commander already printed the message; keep its exit code (0 for --help/--version).
      process.exit(error.exitCode);
    });
  registerServerCommands(program);
  registerClientCommands(program);
  await program.parseAsync([...argv]);
}
