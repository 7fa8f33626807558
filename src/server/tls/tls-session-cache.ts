/**
 * Server-side TLS session-ID cache for one control connection. TLS 1.2 clients that resume by
 * session ID rather than ticket (curl disables tickets) need the server to remember the session:
 * Node has no internal cache for a bare TLSSocket, only the `newSession`/`resumeSession` events of
 * the tls.Server given as its `server` option. Each control connection gets its own (never
 * listening) tls.Server, so its data connections can find only its own sessions.
 */
import { Server } from 'node:tls';

/** Sessions remembered per control connection; the control handshake adds one, data connections few. */
const maxSessionsPerConnection = 64;

/** A tls.Server used only as the session store of one control connection and its data connections. */
export function createSessionCache(): Server {
  const sessions = new Map<string, Buffer>();
  const cache = new Server();
  cache.on('newSession', (sessionId: Buffer, sessionData: Buffer, done: () => void) => {
    if (sessions.size >= maxSessionsPerConnection) sessions.delete(sessions.keys().next().value!);
    sessions.set(sessionId.toString('hex'), sessionData);
    done();
  });
  cache.on('resumeSession', (sessionId: Buffer, done: (error: Error | null, sessionData: Buffer | null) => void) => {
    done(null, sessions.get(sessionId.toString('hex')) ?? null);
  });
  return cache;
}
