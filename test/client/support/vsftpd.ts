/**
 * Debian's vsftpd, started per test file on loopback with a generated config: anonymous login
 * with write access, chrooted to a fresh temporary directory. Killed on cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import type { FtpTestServer } from './ftp-test-server.js';

const vsftpdBinary = '/usr/sbin/vsftpd';

/** True when vsftpd can be started here (installed, running as root for its privilege separation). */
export function isVsftpdAvailable(): boolean {
  return existsSync(vsftpdBinary) && process.getuid?.() === 0;
}

/** FTPS settings for vsftpd (its ssl_* options); absent means plain FTP. */
export interface VsftpdTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** implicit_ssl=YES: TLS from the first byte instead of AUTH TLS. */
  readonly isImplicit?: boolean;
  /** require_ssl_reuse (vsftpd's default YES): data TLS must resume the control session. */
  readonly requiresSessionReuse?: boolean;
}

/** Start vsftpd on `host` ("127.0.0.1" or "::1"), with FTPS when `tls` is given. */
export async function startVsftpd(host: string, tls?: VsftpdTlsOptions): Promise<FtpTestServer> {
  const base = await mkdtemp(join(tmpdir(), 'ferry-vsftpd-'));
  // vsftpd refuses a writable chroot root, so the anonymous root holds a writable "pub" dir.
  const root = join(base, 'root');
  const writable = join(root, 'pub');
  await mkdir(writable, { recursive: true });
  const ftpUser = 'ftp';
  const { uid, gid } = await lookupUser(ftpUser);
  await chown(writable, uid, gid);
  const port = await findFreePort(host);
  const isIPv6 = host.includes(':');
  const config = [
    'background=NO',
    isIPv6 ? 'listen=NO' : 'listen=YES',
    isIPv6 ? 'listen_ipv6=YES' : 'listen_ipv6=NO',
    isIPv6 ? `listen_address6=${host}` : `listen_address=${host}`,
    `listen_port=${port}`,
    'anonymous_enable=YES',
    'local_enable=NO',
    'no_anon_password=YES',
    `anon_root=${root}`,
    `ftp_username=${ftpUser}`,
    'write_enable=YES',
    'anon_upload_enable=YES',
    'anon_mkdir_write_enable=YES',
    'anon_other_write_enable=YES',
    'anon_umask=022',
    'pasv_enable=YES',
    'pasv_min_port=40000',
    'pasv_max_port=40999',
    'port_enable=YES',
    'connect_from_port_20=NO',
    'seccomp_sandbox=NO',
    'secure_chroot_dir=/var/run/vsftpd/empty',
    'xferlog_enable=NO',
    'dirmessage_enable=NO',
    'use_localtime=NO',
    'max_clients=50',
    'max_per_ip=50',
    'anon_max_rate=0',
    'data_connection_timeout=30',
    'idle_session_timeout=60',
    'pam_service_name=vsftpd',
    ...(tls
      ? [
          'ssl_enable=YES',
          `rsa_cert_file=${tls.certFile}`,
          `rsa_private_key_file=${tls.keyFile}`,
          'allow_anon_ssl=YES',
          // Anonymous sessions must use TLS for both login and data, so nothing passes in clear.
          'force_anon_logins_ssl=YES',
          'force_anon_data_ssl=YES',
          `require_ssl_reuse=${tls.requiresSessionReuse === false ? 'NO' : 'YES'}`,
          `implicit_ssl=${tls.isImplicit ? 'YES' : 'NO'}`,
          // 3.0.3 has no ssl_tlsv1_2/ssl_tlsv1_3 switches: ssl_tlsv1=YES allows every TLS version
          // OpenSSL offers, 1.3 included. Its default cipher list (DES-CBC3-SHA) is gone from OpenSSL 3.
          'ssl_sslv2=NO',
          'ssl_sslv3=NO',
          'ssl_tlsv1=YES',
          'ssl_ciphers=HIGH',
        ]
      : []),
  ].join('\n');
  const configPath = join(base, 'vsftpd.conf');
  await writeFile(configPath, config + '\n');
  await mkdir('/var/run/vsftpd/empty', { recursive: true });
  const child = spawn(vsftpdBinary, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  try {
    await (tls?.isImplicit ? waitForTlsGreeting : waitForGreeting)(host, port, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(base, { recursive: true, force: true });
    throw error;
  }
  return {
    name: tls ? (tls.isImplicit ? 'vsftpd (implicit FTPS)' : 'vsftpd (FTPS)') : 'vsftpd',
    host,
    port,
    user: undefined,
    password: undefined,
    root,
    writableDir: '/pub',
    writableLocalDir: writable,
    supportsMlsd: false,
    async adoptLocalFiles(localPath) {
      await chownTree(localPath, uid, gid);
    },
    async stop() {
      await stopChild(child);
      await rm(base, { recursive: true, force: true });
    },
  };
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const { lstat, readdir } = await import('node:fs/promises');
  await chown(path, uid, gid);
  if (!(await lstat(path)).isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number }> {
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Resolve once the server answers with a 220 greeting; vsftpd prints nothing when it is ready. */
export async function waitForGreeting(host: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output()}`);
    const isReady = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.on('error', () => resolve(false));
      socket.once('data', (chunk) => {
        socket.end('QUIT\r\n');
        socket.destroy();
        resolve(chunk.toString().startsWith('220'));
      });
    });
    if (isReady) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not greet on ${host}:${port}: ${output()}`);
}

/** Like waitForGreeting, for an implicit FTPS server: the 220 comes inside TLS. */
export async function waitForTlsGreeting(host: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
  const { connect: connectTls } = await import('node:tls');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output()}`);
    const isReady = await new Promise<boolean>((resolve) => {
      // Only probing readiness; the client under test is what verifies certificates.
      const socket = connectTls({ host, port, rejectUnauthorized: false });
      socket.on('error', () => resolve(false));
      socket.once('data', (chunk) => {
        socket.end('QUIT\r\n');
        socket.destroy();
        resolve(chunk.toString().startsWith('220'));
      });
    });
    if (isReady) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not greet over TLS on ${host}:${port}: ${output()}`);
}

/** Kill a child process and wait for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
