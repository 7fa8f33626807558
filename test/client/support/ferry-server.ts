/** Ferry's own server (src/server), started in-process on loopback port 0 over a fresh temporary root. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FtpServer } from '../../../src/server/ftp-server.js';
import type { FtpTestServer } from './ftp-test-server.js';

/** Start Ferry's server on `host` with user "alice". */
export async function startFerryServer(host: string): Promise<FtpTestServer> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-server-'));
  const server = new FtpServer({
    host,
    port: 0,
    root,
    users: [{ name: 'alice', password: 'secret' }],
    logger: pino({ level: process.env.FERRY_TEST_LOG ?? 'silent' }),
  });
  const address = await server.listen();
  return {
    name: 'ferry',
    host,
    port: address.port,
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
