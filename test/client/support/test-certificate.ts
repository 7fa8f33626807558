/**
 * A self-signed server certificate made at test time with Debian's openssl, valid for "localhost",
 * 127.0.0.1 and ::1, so FTPS servers can present it and the client can be told to trust it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = '/usr/bin/openssl';

/** A certificate and key on disk (for servers) and in memory (for the client's `ca`). */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  remove(): Promise<void>;
}

/** True when openssl is installed to make certificates. */
export function isOpensslAvailable(): boolean {
  return existsSync(openssl);
}

/** Make a fresh self-signed RSA certificate for `commonName` (subjectAltName: localhost, 127.0.0.1, ::1). */
export async function createTestCertificate(commonName = 'localhost'): Promise<TestCertificate> {
  const directory = await mkdtemp(join(tmpdir(), 'ferry-cert-'));
  const certFile = join(directory, 'cert.pem');
  const keyFile = join(directory, 'key.pem');
  await promisify(execFile)(openssl, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ]);
  return {
    certFile,
    keyFile,
    certPem: await readFile(certFile, 'utf8'),
    keyPem: await readFile(keyFile, 'utf8'),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
