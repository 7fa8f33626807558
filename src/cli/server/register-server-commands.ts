/** `ferry serve`, `ferry hash-password` and `ferry cert`. */
import type { Command } from 'commander';
import { hashPassword } from '../../auth/password-hash.js';
import { loadServerConfig } from '../../config/server-config.js';
import { FtpServer } from '../../server/ftp-server.js';
import { registerCertCommand } from './cert-command.js';
import { flagsToConfigOverrides, type ServeFlags } from './serve-options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Start a server from flags, config file and environment; runs until SIGINT/SIGTERM. */
export async function runServe(flags: ServeFlags): Promise<void> {
  const config = await loadServerConfig({
    ...(flags.config ? { configFile: flags.config } : {}),
    env: process.env,
    overrides: flagsToConfigOverrides(flags),
  });
  const server = new FtpServer(config);
  // One session's bug must never take the process (and every other session) down.
  process.on('unhandledRejection', (reason) => server.log.error({ err: reason }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (error) => server.log.error({ err: error }, 'uncaught exception (kept running)'));
  await server.listen();
  if (config.users.length === 0 && !config.usersFile && !config.anonymous.enabled) {
    server.log.warn('no accounts configured: nobody can log in (use --user NAME:PASS, --users-file or --anonymous)');
  }
  const shutdown = (signal: string) => {
    server.log.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  };
  if (config.tls.certFile !== null) {
    // SIGHUP re-reads the certificate now (renewals are also picked up when the files change).
    process.on('SIGHUP', () => {
      server.reloadCertificates().catch(() => undefined);
    });
  }
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

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
    .action((flags: ServeFlags) => runServe(flags));

  registerCertCommand(program);

  program
    .command('hash-password')
    .description('print an scrypt hash for a users file (reads the password from stdin or the argument)')
    .argument('[password]', 'the password (omit to read it from standard input)')
    .action(async (password?: string) => {
      const plain = password ?? (await readStdin()).replace(/\r?\n$/, '');
      if (!plain) throw new Error('empty password');
      process.stdout.write(`${await hashPassword(plain)}\n`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
