/** A loopback TCP connection whose accepted end is paused on connect, as Ferry's passive data sockets are. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/** Listen on port 0, connect, and return both ends; everything is closed when the test ends. */
export async function pausedConnection(t: TestContext): Promise<{ server: Server; accepted: Socket; client: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  const client = connect(address.port, '127.0.0.1');
  client.on('error', () => undefined);
  const [accepted] = (await once(server, 'connection')) as [Socket];
  accepted.on('error', () => undefined);
  t.after(() => {
    client.destroy();
    accepted.destroy();
    server.close();
  });
  return { server, accepted, client };
}
