/**
 * `ferry serve`, `ferry hash-password` and `ferry cert`. Each command's implementation is imported
 * when it runs: the server (logger, config schema, native helper) and the certificate maker are
 * many modules, and loading them all made every `ferry` command, `--help` included, start in
 * ~0.75 s.
 */
import type { Command } from 'commander';
import { registerCertCommand } from './cert-command.js';
import type { ServeFlags } from './serve-options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Register the server-side commands on the program. */
export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('serve a directory over FTP')
    .option('--host <address>', 'address to listen on (default "::", all IPv4 and IPv6 addresses)')
    .option('--port <port>', 'control port (default 21)')
    .option('--root <dir>', 'directory to serve (default: the current directory)')
    .option('--pasv-ports <range>', 'passive port range, e.g. 21100-21110 (default: any ephemeral port)')
    .option('--pasv-address <ip>', 'address advertised in PASV replies (for NAT)')
    .option('--active-data-port <port>', 'port active-mode connections come from (default: control port - 1)')
    .option('--user <name:password>', 'an account with full access to the root (repeatable)', collect)
    .option('--users-file <file>', 'YAML accounts file with scrypt hashes (see ferry hash-password)')
    .option('--anonymous', 'allow anonymous/ftp logins (read-only)')
    .option('--anonymous-root <dir>', 'root directory for anonymous logins (default: --root)')
    .option('--config <file>', 'YAML config file (flags override it)')
    .option('--atomic-uploads', 'write uploads to a temporary name and rename when complete')
    .option('--tls-cert <file>', 'PEM certificate for FTPS')
    .option('--tls-key <file>', 'PEM private key for FTPS')
    .option('--implicit-tls-port <port>', 'also serve implicit FTPS on this port (990 by convention)')
    .option('--require-tls', 'refuse logins and data transfers without TLS')
    .option('--tls-ca <file>', 'PEM CA certificates that client certificates must chain to')
    .option('--require-client-cert', 'require a client certificate signed by --tls-ca')
    .option('--tls-min-version <version>', 'TLSv1.2 (default) or TLSv1.3')
    .option('--log-level <level>', 'trace, debug, info, warn, error, silent')
    .option('--log-format <format>', 'auto, json or pretty')
    .action(async (flags: ServeFlags) => (await import('./serve-command.js')).runServe(flags));

  registerCertCommand(program);

  program
    .command('hash-password')
    .description('print an scrypt hash for a users file (reads the password from stdin or the argument)')
    .argument('[password]', 'the password (omit to read it from standard input)')
    .action(async (password?: string) => {
      const plain = password ?? (await readStdin()).replace(/\r?\n$/, '');
      if (!plain) throw new Error('empty password');
      const { hashPassword } = await import('../../auth/password-hash.js');
      process.stdout.write(`${await hashPassword(plain)}\n`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
