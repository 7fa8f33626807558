/** `ferry serve` flags → a config override object (only flags the user actually gave). */
import type { ServerConfigInput } from '../../config/server-config.js';
import { parsePortRange } from '../../config/server-config.js';

/** Raw flag values as commander delivers them. */
export interface ServeFlags {
  host?: string;
  port?: string;
  root?: string;
  pasvPorts?: string;
  pasvAddress?: string;
  activeDataPort?: string;
  user?: string[];
  usersFile?: string;
  anonymous?: boolean;
  anonymousRoot?: string;
  config?: string;
  logLevel?: string;
  logFormat?: string;
  atomicUploads?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  implicitTlsPort?: string;
  requireTls?: boolean;
  tlsCa?: string;
  requireClientCert?: boolean;
  tlsMinVersion?: string;
}

/** Raised for a flag value that cannot be used; the message names the flag. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
  readonly code = 'ERR_FERRY_FLAG';
}

function parseIntegerFlag(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new FlagError(`${flag}: expected a number, got "${value}"`);
  return Number(value);
}

/** Parse "NAME:PASSWORD" (the password may itself contain colons). */
export function parseUserFlag(value: string): { name: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new FlagError(`--user: expected NAME:PASSWORD, got "${value}"`);
  return { name: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** Build the override layer of the config from the flags that were given. */
export function flagsToConfigOverrides(flags: ServeFlags): ServerConfigInput {
  const overrides: Record<string, unknown> = {};
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.port !== undefined) overrides.port = parseIntegerFlag('--port', flags.port);
  if (flags.root !== undefined) overrides.root = flags.root;
  if (flags.pasvPorts !== undefined) overrides.passivePortRange = parsePortRange(flags.pasvPorts);
  if (flags.pasvAddress !== undefined) overrides.advertisedAddress = flags.pasvAddress;
  if (flags.activeDataPort !== undefined) overrides.activeDataPort = parseIntegerFlag('--active-data-port', flags.activeDataPort);
  if (flags.user && flags.user.length > 0) overrides.users = flags.user.map(parseUserFlag);
  if (flags.usersFile !== undefined) overrides.usersFile = flags.usersFile;
  if (flags.anonymous || flags.anonymousRoot !== undefined) {
    overrides.anonymous = {
      ...(flags.anonymous ? { enabled: true } : {}),
      ...(flags.anonymousRoot !== undefined ? { root: flags.anonymousRoot } : {}),
    };
  }
  if (flags.logLevel !== undefined || flags.logFormat !== undefined) {
    overrides.log = {
      ...(flags.logLevel !== undefined ? { level: flags.logLevel } : {}),
      ...(flags.logFormat !== undefined ? { format: flags.logFormat } : {}),
    };
  }
  if (flags.atomicUploads) overrides.uploads = { atomic: true };
  const tls: Record<string, unknown> = {};
  if (flags.tlsCert !== undefined) tls.certFile = flags.tlsCert;
  if (flags.tlsKey !== undefined) tls.keyFile = flags.tlsKey;
  if (flags.implicitTlsPort !== undefined) tls.implicitPort = parseIntegerFlag('--implicit-tls-port', flags.implicitTlsPort);
  if (flags.tlsCa !== undefined) tls.caFile = flags.tlsCa;
  if (flags.requireClientCert) tls.requireClientCert = true;
  if (flags.tlsMinVersion !== undefined) tls.minVersion = flags.tlsMinVersion;
  if (flags.requireTls) {
    tls.requireForLogin = true;
    tls.requireForData = true;
  }
  if (Object.keys(tls).length > 0) overrides.tls = tls;
  return overrides as ServerConfigInput;
}
