/** `ferry serve`: a server from flags, config file and environment, until SIGINT/SIGTERM. */
import { loadServerConfig } from '../../config/server-config.js';
import { FtpServer } from '../../server/ftp-server.js';
import { flagsToConfigOverrides, type ServeFlags } from './serve-options.js';

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
