/** Start a real Ferry server on loopback port 0 for one test; closed when the test ends. */
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { FtpServer, type FtpServerOptions } from '../../src/server/ftp-server.js';
import { makeTempDir } from './temp-dir.js';

/** A running test server and what tests need to reach it. */
export interface TestServer {
  readonly server: FtpServer;
  readonly port: number;
  readonly host: string;
  /** Real directory served as the root. */
  readonly root: string;
  readonly username: string;
  readonly password: string;
}

/** Start a server with user "alice"/"secret" over a temp root; options override anything. */
export async function startTestServer(t: TestContext, options: FtpServerOptions = {}): Promise<TestServer> {
  const root = options.root ?? (await makeTempDir(t));
  const host = options.host ?? '127.0.0.1';
  const server = new FtpServer({
    host,
    port: 0,
    root,
    users: [{ name: 'alice', password: 'secret' }],
    logger: pino({ level: process.env.FERRY_TEST_LOG ?? 'silent' }),
    ...options,
    limits: { loginFailureDelayMs: 10, maxLoginFailureDelayMs: 50, ...(options.limits ?? {}) },
  });
  const address = await server.listen();
  t.after(() => server.close());
  return { server, port: address.port, host, root, username: 'alice', password: 'secret' };
}
