/**
 * `ferry cert`: a self-signed certificate and key for trying FTPS (RSA 2048, subjectAltName
 * localhost, 127.0.0.1 and ::1). For production use a certificate from a CA (e.g. ACME); the
 * server reloads renewed files by itself.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';

/** A PEM certificate and its private key. */
export interface SelfSignedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-1 fingerprint as selfsigned reports it (colon-separated hex). */
  readonly fingerprint: string;
}

/** Make a self-signed RSA 2048 certificate valid from now for `days` days. */
export async function createSelfSignedCertificate(options: { commonName?: string; days?: number } = {}): Promise<SelfSignedCertificate> {
  const commonName = options.commonName ?? 'localhost';
  const days = options.days ?? 365;
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + days * 86_400_000);
  // Imported here: selfsigned brings an ASN.1 and X.509 stack that no other command needs.
  const { generate } = await import('selfsigned');
  const result = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          ...(commonName === 'localhost' ? [] : [{ type: 2 as const, value: commonName }]),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { certPem: result.cert, keyPem: result.private, fingerprint: result.fingerprint };
}

/** Write cert.pem and key.pem (mode 0600) into `outDir`; returns their paths. */
export async function writeSelfSignedCertificate(
  outDir: string,
  options: { commonName?: string; days?: number } = {},
): Promise<{ certFile: string; keyFile: string }> {
  const certificate = await createSelfSignedCertificate(options);
  await mkdir(outDir, { recursive: true });
  const certFile = path.join(outDir, 'cert.pem');
  const keyFile = path.join(outDir, 'key.pem');
  await writeFile(certFile, certificate.certPem);
  // The private key is readable by its owner only.
  await writeFile(keyFile, certificate.keyPem, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  return { certFile, keyFile };
}

function parseDays(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--days: expected a positive number of days, got "${value}"`);
  return Number(value);
}

/** Register `ferry cert` on the program. */
export function registerCertCommand(program: Command): void {
  program
    .command('cert')
    .description('write a self-signed certificate (cert.pem) and key (key.pem) for testing FTPS')
    .option('--out-dir <dir>', 'directory to write cert.pem and key.pem into', '.')
    .option('--common-name <name>', 'certificate common name (also added as a DNS subjectAltName)', 'localhost')
    .option('--days <n>', 'validity in days', '365')
    .action(async (flags: { outDir: string; commonName: string; days: string }) => {
      const { certFile, keyFile } = await writeSelfSignedCertificate(flags.outDir, { commonName: flags.commonName, days: parseDays(flags.days) });
      process.stdout.write(`wrote ${certFile} and ${keyFile}\nserve with: ferry serve --tls-cert ${certFile} --tls-key ${keyFile}\n`);
    });
}
