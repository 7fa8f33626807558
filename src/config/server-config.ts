/**
 * The server's settings: one zod schema holding every default (ARCHITECTURE.md convention 12), fed
 * by a YAML file, then FERRY_* environment variables, then command-line overrides, and frozen.
 * Unknown keys are errors: a misspelt security setting must never silently fall back to a default.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { allPermissions, readOnlyPermissions } from '../auth/permissions.js';
import { isPasswordHash } from '../auth/password-hash.js';

/** A configuration that cannot be used; the message has one line per problem, naming source, key and problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_FTP_CONFIG';
  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(problems.join('\n'), options);
  }
}

const port = z.number().int().min(0).max(65535);
const unprivilegedPort = z.number().int().min(1024).max(65535);
const positiveMs = z.number().int().min(1);
const bytesPerSecond = z.number().int().min(0);
const absolutePath = z.string().min(1).transform((text) => path.resolve(text));
const permission = z.enum(allPermissions);

const bandwidthSchema = z.strictObject({
  /** 0 = unlimited. */
  uploadBytesPerSecond: bytesPerSecond.default(0),
  downloadBytesPerSecond: bytesPerSecond.default(0),
});

const accountSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .refine((name) => !/[\0-\x1f\x7f]/.test(name), 'must not contain control characters'),
    password: z.string().min(1).optional(),
    passwordHash: z.string().refine(isPasswordHash, 'expected an scrypt hash (scrypt$N$r$p$salt$hash), as printed by `ferry hash-password`').optional(),
    home: absolutePath.optional(),
    permissions: z.array(permission).optional(),
    requireTls: z.boolean().optional(),
    bandwidth: bandwidthSchema.optional(),
  })
  .refine((account) => account.password !== undefined || account.passwordHash !== undefined, {
    message: 'needs a password or a passwordHash',
  });

const portRangeSchema = z
  .strictObject({ min: unprivilegedPort, max: unprivilegedPort })
  .refine((range) => range.min <= range.max, { message: 'min must not exceed max' });

/** The schema of the whole configuration, with every default. */
export const serverConfigSchema = z.strictObject({
  /** Listen address; '::' is dual-stack (all IPv6 and IPv4 addresses). */
  host: z.string().min(1).default('::'),
  port: port.default(21),
  /** Directory served to accounts without their own home; relative paths resolve to absolute. */
  root: absolutePath.default(() => process.cwd()),
  /** Ports for passive data connections; null = any ephemeral port. */
  passivePortRange: portRangeSchema.nullable().default(null),
  /** Address announced in PASV replies (behind NAT); an IP literal, since PASV carries an IPv4 address. */
  advertisedAddress: z
    .string()
    .refine((text) => isIP(text) !== 0, 'expected an IP address (host names are not resolved)')
    .nullable()
    .default(null),
  /** Source port of active-mode data connections; null = control port - 1 (RFC 959 §3.2: L-1). */
  activeDataPort: z.number().int().min(1).max(65535).nullable().default(null),
  // SECURITY: FTP bounce / FXP (RFC 2577 §3): a PORT/EPRT address other than the client's own lets
  // a client make the server connect to, and send data to, any third host.
  allowsForeignDataPeer: z.boolean().default(false),
  // SECURITY: bounce to privileged services (RFC 2577 §3): a PORT to port < 1024 could make the
  // server talk SMTP or similar on a client's behalf.
  allowsPrivilegedDataPort: z.boolean().default(false),
  users: z.array(accountSchema).default(() => []),
  usersFile: absolutePath.nullable().default(null),
  anonymous: z
    .strictObject({
      // SECURITY: anonymous access exposes the tree to anyone who can connect.
      enabled: z.boolean().default(false),
      /** Real directory anonymous users see; null = root. */
      root: absolutePath.nullable().default(null),
      // SECURITY: read-only unless write access is granted on purpose (no accidental warez drop box).
      permissions: z.array(permission).default(() => [...readOnlyPermissions]),
    })
    .prefault({}),
  // SECURITY: every hostile input is bounded by a named limit (resource exhaustion).
  limits: z
    .strictObject({
      /** Longest command line accepted (vsftpd: 4096). */
      maxCommandLineBytes: z.number().int().min(64).default(4096),
      maxSessions: z.number().int().min(1).default(1000),
      maxSessionsPerIp: z.number().int().min(1).default(50),
      idleTimeoutMs: positiveMs.default(300_000),
      passiveAcceptTimeoutMs: positiveMs.default(30_000),
      activeConnectTimeoutMs: positiveMs.default(30_000),
      dataStallTimeoutMs: positiveMs.default(300_000),
      // SECURITY: password guessing: few attempts per connection, a growing delay, then a ban.
      maxLoginAttempts: z.number().int().min(1).default(3),
      loginFailureDelayMs: z.number().int().min(0).default(1000),
      maxLoginFailureDelayMs: z.number().int().min(0).default(10_000),
      banAfterFailures: z.number().int().min(0).default(10),
      banDurationMs: positiveMs.default(900_000),
      maxListingEntries: z.number().int().min(1).default(100_000),
    })
    .refine((limits) => limits.maxLoginFailureDelayMs >= limits.loginFailureDelayMs, {
      message: 'maxLoginFailureDelayMs must not be below loginFailureDelayMs',
      path: ['maxLoginFailureDelayMs'],
    })
    .prefault({}),
  /** Server-wide transfer rate caps; 0 = unlimited. */
  bandwidth: bandwidthSchema.prefault({}),
  tls: z
    .strictObject({
      certFile: absolutePath.nullable().default(null),
      keyFile: absolutePath.nullable().default(null),
      caFile: absolutePath.nullable().default(null),
      /** Port for implicit FTPS (990 by convention); null = explicit AUTH TLS only. */
      implicitPort: port.nullable().default(null),
      // SECURITY: credentials in clear text (RFC 4217 §11). Off by default only because a fresh
      // server has no certificate; enable it whenever certFile is set.
      requireForLogin: z.boolean().default(false),
      requireForData: z.boolean().default(false),
      // SECURITY: data connection theft (RFC 4217 §10): the data TLS session must resume the
      // control connection's, proving both come from the same client (vsftpd require_ssl_reuse).
      requireSessionReuse: z.boolean().default(true),
      requireClientCert: z.boolean().default(false),
      // SECURITY: TLS 1.0/1.1 are deprecated (RFC 8996: BEAST, weak MACs).
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    })
    .superRefine((tls, context) => {
      if ((tls.certFile === null) !== (tls.keyFile === null)) {
        const missing = tls.certFile === null ? 'certFile' : 'keyFile';
        context.addIssue({ code: 'custom', path: [missing], message: `needed together with ${missing === 'certFile' ? 'keyFile' : 'certFile'}` });
      }
    })
    .prefault({}),
  /**
   * 'auto': on a local file system, downloads and uploads make their file-system calls inline on the
   * event loop while those stay fast (a watchdog falls back after a slow one; see
   * file-io/inline-file-io.ts); 'thread-pool': always through libuv's thread pool (for disks that
   * are slow even when warm, where one blocked call would stall every session).
   */
  fileIo: z.enum(['auto', 'thread-pool']).default('auto'),
  uploads: z
    .strictObject({
      /** Write to a hidden temporary name and rename when complete, so readers never see partial files. */
      atomic: z.boolean().default(false),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** 'auto' = pretty on a terminal, JSON otherwise. */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
});

/** Recursively readonly (the loaded config is deep-frozen, and this makes the compiler agree). */
export type DeepReadonly<T> = T extends (infer Element)[]
  ? readonly DeepReadonly<Element>[]
  : T extends Date | ((...args: never[]) => unknown)
    ? T
    : T extends object
      ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
      : T;

/** The validated, complete, frozen configuration. */
export type ServerConfig = DeepReadonly<z.output<typeof serverConfigSchema>>;

/** Configuration as given by a user: every key optional, defaults filled in by parseServerConfig. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

type PathKey = string | number;

/** "limits.idleTimeoutMs", "users[1].name". */
function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const expectedNames: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function describeProblem(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `required, expected ${expectedNames[issue.expected] ?? issue.expected}`;
      return `expected ${expectedNames[issue.expected] ?? issue.expected}, got ${describeValue(input)}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `needs at least ${issue.minimum} entries`;
      return `must be at least ${issue.minimum}, got ${describeValue(input)}`;
    case 'too_big':
      return `must be at most ${issue.maximum}, got ${describeValue(input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, got ${describeValue(input)}`;
    default:
      return issue.message;
  }
}

/** One source of settings, for naming where a bad value came from. */
interface ConfigLayer {
  readonly data: unknown;
  /** The source's name for a key path ("/etc/ferry.yaml", "environment variable FERRY_PORT"). */
  readonly label: (keyPath: readonly PathKey[]) => string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the layer supplied the value at this path (arrays and scalars replace wholesale when merged). */
function layerOwns(data: unknown, keyPath: readonly PathKey[]): boolean {
  let current = data;
  for (const key of keyPath) {
    if (!isPlainObject(current)) return current !== undefined;
    if (!(String(key) in current) || current[String(key)] === undefined) return false;
    current = current[String(key)];
  }
  return current !== undefined;
}

function problemsOf(error: z.ZodError, layers: readonly ConfigLayer[]): string[] {
  return error.issues.flatMap((issue) => {
    const keyPaths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key] as PathKey[]) : [issue.path as PathKey[]];
    return keyPaths.map((keyPath) => {
      const problem = issue.code === 'unrecognized_keys' ? 'unknown key' : describeProblem(issue);
      const owner = [...layers].reverse().find((layer) => layerOwns(layer.data, keyPath));
      const where = keyPath.length === 0 ? 'configuration' : formatPath(keyPath);
      return `${owner === undefined ? '' : `${owner.label(keyPath)}: `}${where}: ${problem}`;
    });
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function validate(input: unknown, layers: readonly ConfigLayer[]): ServerConfig {
  const result = serverConfigSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(problemsOf(result.error, layers));
  return deepFreeze(result.data) as ServerConfig;
}

/** Validate and complete a configuration object; throws ConfigError naming each bad key. The result is deep-frozen. */
export function parseServerConfig(input: unknown): ServerConfig {
  return validate(input ?? {}, []);
}

/** Parse "A-B" or "A" into a port range; throws ConfigError. */
export function parsePortRange(text: string): { min: number; max: number } {
  const match = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  const min = match ? Number(match[1]) : NaN;
  const max = match ? Number(match[2] ?? match[1]) : NaN;
  if (!match || min < 1 || max > 65535 || min > max) {
    throw new ConfigError([`invalid port range ${JSON.stringify(text)}: expected "MIN-MAX" or "PORT" with 1 <= MIN <= MAX <= 65535`]);
  }
  return { min, max };
}

/** Deep-merge `top` onto `base`: plain objects merge, arrays and scalars replace, undefined is ignored. */
function deepMerge(base: unknown, top: unknown): unknown {
  if (top === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(top)) return top;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) merged[key] = deepMerge(base[key], value);
  return merged;
}

const environmentVariables: ReadonlyArray<{ name: string; keyPath: readonly string[]; parse: (text: string) => unknown }> = [
  { name: 'FERRY_HOST', keyPath: ['host'], parse: (text) => text },
  { name: 'FERRY_PORT', keyPath: ['port'], parse: (text) => (/^\d+$/.test(text) ? Number(text) : text) },
  { name: 'FERRY_ROOT', keyPath: ['root'], parse: (text) => text },
  { name: 'FERRY_PASV_PORTS', keyPath: ['passivePortRange'], parse: parsePortRange },
  { name: 'FERRY_PASV_ADDRESS', keyPath: ['advertisedAddress'], parse: (text) => text },
  { name: 'FERRY_LOG_LEVEL', keyPath: ['log', 'level'], parse: (text) => text },
];

function environmentLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  let data: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const variable of environmentVariables) {
    const text = env[variable.name];
    if (text === undefined || text === '') continue;
    let value: unknown;
    try {
      value = variable.parse(text);
    } catch (error) {
      problems.push(`environment variable ${variable.name}: ${error instanceof ConfigError ? error.message : String(error)}`);
      continue;
    }
    data = deepMerge(data, variable.keyPath.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value)) as Record<string, unknown>;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    data,
    label: (keyPath) => {
      const joined = keyPath.join('.');
      const variable = environmentVariables.find((candidate) => joined.startsWith(candidate.keyPath.join('.')));
      return `environment variable ${variable?.name ?? 'FERRY_*'}`;
    },
  };
}

/** Make the file's relative paths relative to the file's directory, as a reader of the file expects. */
function resolveFilePaths(data: Record<string, unknown>, directory: string): Record<string, unknown> {
  const resolveAt = (container: unknown, key: string): void => {
    if (isPlainObject(container) && typeof container[key] === 'string' && container[key] !== '') {
      container[key] = path.resolve(directory, container[key]);
    }
  };
  resolveAt(data, 'root');
  resolveAt(data, 'usersFile');
  resolveAt(data.anonymous, 'root');
  for (const key of ['certFile', 'keyFile', 'caFile']) resolveAt(data.tls, key);
  if (Array.isArray(data.users)) for (const user of data.users) resolveAt(user, 'home');
  return data;
}

async function fileLayer(configFile: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError([`${configFile}: cannot read the config file (${errno})`], { cause: error });
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([`${configFile}: not valid YAML: ${(error as Error).message}`], { cause: error });
  }
  if (!isPlainObject(document)) throw new ConfigError([`${configFile}: expected a mapping of settings, got ${describeValue(document)}`]);
  return { data: resolveFilePaths(document, path.dirname(path.resolve(configFile))), label: () => configFile };
}

/** Where loadServerConfig reads settings from; later sources win. */
export interface LoadServerConfigOptions {
  /** A YAML file; its relative paths are relative to its own directory. */
  configFile?: string;
  /** Environment with FERRY_HOST, FERRY_PORT, FERRY_ROOT, FERRY_PASV_PORTS, FERRY_PASV_ADDRESS, FERRY_LOG_LEVEL. */
  env?: NodeJS.ProcessEnv;
  /** Command-line settings, deep-merged last (arrays replace, undefined is ignored). */
  overrides?: ServerConfigInput;
}

/**
 * Load the configuration: file, then environment, then overrides, validated and deep-frozen.
 * Throws ConfigError whose lines name the source (file, variable or command line), key and problem.
 */
export async function loadServerConfig(options: LoadServerConfigOptions = {}): Promise<ServerConfig> {
  const layers: ConfigLayer[] = [];
  if (options.configFile !== undefined) layers.push(await fileLayer(options.configFile));
  if (options.env !== undefined) layers.push(environmentLayer(options.env));
  if (options.overrides !== undefined) layers.push({ data: options.overrides, label: () => 'command line' });
  const merged = layers.reduce<unknown>((result, layer) => deepMerge(result, layer.data), {});
  return validate(merged, layers);
}
