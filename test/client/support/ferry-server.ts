/** Ferry's own server (src/server), started in-process on loopback port 0 over a fresh temporary root. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FtpServer } from '../../../src/server/ftp-server.js';
import type { FtpTestServer } from './ftp-test-server.js';

/** FTPS for Ferry's server: TLS required for login and data, session reuse required (the default). */
export interface FerryTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Report the implicit-FTPS port (bound on port 0) instead of the explicit one. */
  readonly isImplicit?: boolean;
}

/** Start Ferry's server on `host` with user "alice"; with `tls`, FTPS is required. */
export async function startFerryServer(host: string, tls?: FerryTlsOptions): Promise<FtpTestServer> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-server-'));
  const server = new FtpServer({
    host,
    port: 0,
    root,
    users: [{ name: 'alice', password: 'secret' }],
    logger: pino({ level: process.env.FERRY_TEST_LOG ?? 'silent' }),
    ...(tls
      ? {
          tls: {
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            implicitPort: tls.isImplicit ? 0 : null,
            requireForLogin: true,
            requireForData: true,
          },
        }
      : {}),
  });
  const address = await server.listen();
  return {
    name: tls ? (tls.isImplicit ? 'ferry (implicit FTPS)' : 'ferry (FTPS)') : 'ferry',
    host,
    port: tls?.isImplicit ? server.implicitTlsAddress.port : address.port,
    user: 'alice',
    password: 'secret',
    root,
    writableDir: '/',
    writableLocalDir: root,
    supportsMlsd: true,
    async adoptLocalFiles() {
      // Same process, same user: nothing to hand over.
    },
    async stop() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
