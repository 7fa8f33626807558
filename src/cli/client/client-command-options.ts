/** The options every client command shares, and their value parsers. */
import { Command, InvalidArgumentError, Option } from 'commander';

/** Add the options every client command shares. */
export function withClientOptions(command: Command): Command {
  return command
    .option('-u, --user <user[:password]>', 'log in as this user (else the URL, ~/.netrc, or anonymous)')
    .addOption(new Option('--active', 'active mode: the server connects back (EPRT/PORT)').conflicts('passive'))
    .option('--passive', 'passive mode: connect to the server (EPSV/PASV; the default)')
    .option('--no-epsv', 'use PASV instead of trying EPSV first')
    .option('--tls', 'explicit FTPS: AUTH TLS on an ftp:// URL, data connections protected too (ftps:// URLs are implicit FTPS)')
    .option('--ftps', 'same as --tls')
    .option('--ca <file>', 'trust the CA certificate(s) in this PEM file for FTPS (e.g. a self-signed server certificate)')
    .option('--insecure', 'FTPS without verifying the server certificate (testing only: anyone on the path can read the password)')
    .option('--retries <n>', 'retry transient failures this many times, resuming', parseCount, 0)
    .option('--netrc <file>', 'netrc file to read credentials from (default ~/.netrc)')
    .option('-q, --quiet', 'no progress output');
}

/** Parse a non-negative integer option value. */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(text);
}
