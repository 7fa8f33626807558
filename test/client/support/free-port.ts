/** A TCP port that was free a moment ago, for servers (vsftpd) that cannot bind port 0 and report it. */
import { createServer } from 'node:net';

/** Bind port 0 on `host`, read the port, release it. */
export async function findFreePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
