// Server definitions for the benchmark harness: each peer gets its own generated
// config, its own loopback control port and its own passive range.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const HERE = path.dirname(new URL(import.meta.url).pathname);
export const REPO = path.resolve(HERE, '..');
export const PEERS = path.join(HERE, '.peers');
export const WORK = path.join(HERE, '.work');
export const DATA = path.join(WORK, 'data');
export const USER = 'ftpbench';
export const PASS = 'benchpass';
const ROOTFS = path.join(PEERS, 'root');
const CERT = path.join(PEERS, 'cert.pem');
const KEY = path.join(PEERS, 'key.pem');
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

// Each server: { name, tls, make(ports, dir) -> { cmd, args, env?, cwd? } }
export const SERVERS = [
  {
    name: 'vsftpd',
    tls: true,
    version: () => spawnSync('dpkg-query', ['-W', '-f=${Version}', 'vsftpd']).stdout?.toString(),
    make({ port, pmin, pmax }, dir) {
      const conf = write(
        path.join(dir, 'vsftpd.conf'),
        `listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${port}
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=${DATA}
pasv_enable=YES
pasv_min_port=${pmin}
pasv_max_port=${pmax}
port_enable=YES
connect_from_port_20=NO
seccomp_sandbox=NO
max_clients=0
max_per_ip=0
pam_service_name=vsftpd
xferlog_enable=NO
dirmessage_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=${CERT}
rsa_private_key_file=${KEY}
`,
      );
      return { cmd: '/usr/sbin/vsftpd', args: [conf] };
    },
  },
  {
    name: 'pure-ftpd',
    tls: true,
    version: () => '1.0.50 (Debian 12, unpacked)',
    make({ port, pmin, pmax }) {
      return {
        cmd: path.join(ROOTFS, 'usr/sbin/pure-ftpd'),
        // -l unix: system user; -A chroot; -E no anonymous; -H no DNS; -Y 1 TLS optional
        args: ['-S', `127.0.0.1,${port}`, '-p', `${pmin}:${pmax}`, '-l', 'unix', '-A', '-E', '-H',
          '-c', '2000', '-C', '2000', '-u', '1', '-Y', '1', `-2`, `${CERT},${KEY}`],
      };
    },
  },
  {
    name: 'proftpd',
    tls: true,
    version: () => '1.3.8 (Debian 12, unpacked)',
    make({ port, pmin, pmax }, dir) {
      const conf = write(
        path.join(dir, 'proftpd.conf'),
        `ServerType standalone
ServerName "bench"
DefaultServer on
Port ${port}
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PassivePorts ${pmin} ${pmax}
MaxInstances 4000
MaxClientsPerHost none
ScoreboardFile ${dir}/proftpd.scoreboard
PidFile ${dir}/proftpd.pid
DelayEngine off
WtmpLog off
UseReverseDNS off
TransferLog none
SystemLog ${dir}/proftpd.system.log
DefaultRoot ~
RequireValidShell off
AuthPAM off
AuthOrder mod_auth_unix.c
Umask 022
AllowOverwrite on
<IfModule mod_dso.c>
  ModulePath ${ROOTFS}/usr/lib/proftpd
  LoadModule mod_tls.c
</IfModule>
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired off
  TLSProtocol TLSv1.2 TLSv1.3
  TLSRSACertificateFile ${CERT}
  TLSRSACertificateKeyFile ${KEY}
  TLSOptions NoSessionReuseRequired
  TLSLog ${dir}/proftpd.tls.log
</IfModule>
`,
      );
      return { cmd: path.join(ROOTFS, 'usr/sbin/proftpd'), args: ['-n', '-q', '-c', conf] };
    },
  },
  {
    name: 'pyftpdlib',
    tls: true,
    version: () => spawnSync('dpkg-query', ['-W', '-f=${Version}', 'python3-pyftpdlib']).stdout?.toString(),
    make({ port, pmin, pmax }) {
      return {
        cmd: PY,
        args: [path.join(HERE, 'peers/pyftpd.py'), '127.0.0.1', String(port), DATA, String(pmin), String(pmax),
          USER, PASS, path.join(PEERS, 'combined.pem')],
      };
    },
  },
  {
    name: 'ftp-srv',
    tls: true,
    version: () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(PEERS, 'ftp-srv/node_modules/ftp-srv/package.json'))).version;
      } catch {
        return '?';
      }
    },
    make({ port, pmin, pmax }) {
      return {
        cmd: process.execPath,
        args: [path.join(HERE, 'peers/ftpsrv.cjs'), '127.0.0.1', String(port), DATA, String(pmin), String(pmax),
          USER, PASS, CERT, KEY],
      };
    },
  },
  {
    name: 'ferry',
    tls: true, // probed: AUTH TLS failures are recorded as n/a
    version: () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'))).version;
      } catch {
        return '?';
      }
    },
    make({ port, pmin, pmax }, dir) {
      const args = [path.join(REPO, 'bin/ferry.js'), 'serve', '--host', '127.0.0.1', '--port', String(port),
        '--root', DATA, '--pasv-ports', `${pmin}-${pmax}`, '--user', `${USER}:${PASS}`,
        '--tls-cert', CERT, '--tls-key', KEY];
      // the peers are configured without connection caps; lift Ferry's defaults (1000 total / 50 per IP) likewise
      const conf = write(path.join(dir, 'ferry.yaml'), 'limits:\n  maxSessions: 4000\n  maxSessionsPerIp: 4000\n');
      args.push('--config', process.env.FERRY_BENCH_CONFIG || conf);
      args.unshift(...(process.env.FERRY_BENCH_NODE_FLAGS || '').split(' ').filter(Boolean));
      return { cmd: process.execPath, args, env: { ...process.env, LOG_LEVEL: 'warn', FERRY_LOG_LEVEL: 'warn' } };
    },
  },
];

export function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// Wait for a 220 greeting on the control port.
export async function waitReady(port, proc, timeoutMs = 15000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (proc.exitCode !== null || proc.signalCode !== null) return `exited (${proc.exitCode ?? proc.signalCode})`;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let buf = '';
      const done = (v) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.on('data', (d) => {
        buf += d;
        if (/^220[ -]/m.test(buf)) done(true);
        else if (/^\d{3} /m.test(buf)) done(false);
      });
      s.on('error', () => done(false));
    });
    if (ok) return null;
    await new Promise((r) => setTimeout(r, 150));
  }
  return 'no 220 greeting within timeout';
}

export async function startServer(def, ports) {
  const dir = path.join(WORK, 'srv', def.name);
  fs.mkdirSync(dir, { recursive: true });
  const spec = def.make(ports, dir);
  const logFile = path.join(dir, 'server.log');
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd ?? dir,
    env: spec.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  proc.on('error', () => {});
  const err = await waitReady(ports.port, proc);
  if (err) {
    await stopServer({ proc });
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
    return { error: `${err}${tail ? `: ${tail}` : ''}` };
  }
  return { proc, pid: proc.pid, logFile };
}

export async function stopServer(s) {
  if (!s?.proc) return;
  const { proc } = s;
  const pgid = proc.pid;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {}
  const t0 = Date.now();
  while (Date.now() - t0 < 3000) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
  // forked session processes (vsftpd, proftpd, pure-ftpd) may have left the group via setsid
  for (const pid of treePids(pgid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

// ---------------------------------------------------------------- /proc helpers
function allParents() {
  const m = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(d), Number(rest[1]));
    } catch {}
  }
  return m;
}
export function treePids(root) {
  const parents = allParents();
  const out = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!want.has(pid) && want.has(ppid)) {
        want.add(pid);
        grew = true;
      }
    }
  }
  for (const p of want) if (parents.has(p)) out.push(p);
  return out;
}
// Sum RSS and PSS (KiB) of a process tree.
export function treeMemory(root) {
  let rss = 0;
  let pss = 0;
  const pids = treePids(root);
  for (const pid of pids) {
    try {
      const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
    } catch {}
  }
  return { rss, pss, procs: pids.length };
}
