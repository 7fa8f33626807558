/**
 * Debian's pyftpdlib, started per test file on loopback from a small script: user "alice" with
 * full permissions in a fresh temporary directory. The script prints the bound port, so no port
 * is guessed and no polling is needed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from './vsftpd.js';
import type { FtpTestServer } from './ftp-test-server.js';

// Debian installs pyftpdlib for the system interpreter; a pyenv "python3" on PATH may not see it.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const script = `
import sys, logging
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.basicConfig(level=int(__import__("os").environ.get("FERRY_PYFTPDLIB_LOG", "40")))
host, root = sys.argv[1], sys.argv[2]
authorizer = DummyAuthorizer()
authorizer.add_user("alice", "s3cret pass", root, perm="elradfmwMT")
handler = FTPHandler
if len(sys.argv) > 4:
    from pyftpdlib.handlers import TLS_FTPHandler
    handler = TLS_FTPHandler
    handler.certfile = sys.argv[3]
    handler.keyfile = sys.argv[4]
    handler.tls_control_required = True
    handler.tls_data_required = True
handler.authorizer = authorizer
handler.permit_foreign_addresses = False
handler.timeout = 60
server = FTPServer((host, 0), handler)
print("PORT", server.socket.getsockname()[1], flush=True)
server.serve_forever()
`;

/** True when pyftpdlib can be imported by the system Python. */
export function isPyftpdlibAvailable(): boolean {
  return existsSync('/usr/lib/python3/dist-packages/pyftpdlib') || existsSync('/usr/local/lib/python3/dist-packages/pyftpdlib');
}

/**
 * True when pyftpdlib's TLS_FTPHandler can run: it needs PyOpenSSL (Debian's python3-openssl).
 * pyftpdlib has no implicit FTPS and does not check TLS session reuse on data connections.
 */
export function isPyftpdlibTlsAvailable(): boolean {
  if (!isPyftpdlibAvailable()) return false;
  return spawnSync(python, ['-c', 'import OpenSSL; from pyftpdlib.handlers import TLS_FTPHandler'], { stdio: 'ignore' }).status === 0;
}

/** Start pyftpdlib on `host` ("127.0.0.1" or "::1"); with `tls`, TLS_FTPHandler requiring TLS for login and data. */
export async function startPyftpdlib(host: string, tls?: { certFile: string; keyFile: string }): Promise<FtpTestServer> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-pyftpdlib-'));
  const tlsArguments = tls ? [tls.certFile, tls.keyFile] : [];
  const child = spawn(python, ['-c', script, host, root, ...tlsArguments], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk) => { errors += chunk; if (process.env.FERRY_PYFTPDLIB_LOG) process.stderr.write(chunk); });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`pyftpdlib exited with ${code}: ${errors}`)));
  });
  return {
    name: tls ? 'pyftpdlib (FTPS)' : 'pyftpdlib',
    host,
    port,
    user: 'alice',
    password: 's3cret pass',
    root,
    writableDir: '/',
    writableLocalDir: root,
    supportsMlsd: true,
    // pyftpdlib 1.5.7 bug: on the next PORT/EPRT it closes the previous ActiveDTP, whose close()
    // unregisters that socket's old fd number from epoll; if another session's control socket has
    // reused the number, that session stops being read and hangs. Seen here as a login that never
    // gets its 230 while a parallel mirror runs in active mode. One connection avoids fd reuse.
    activeModeParallelLimit: 1,
    async adoptLocalFiles() {
      // pyftpdlib runs as the test's own user: nothing to hand over.
    },
    async stop() {
      await stopChild(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}
