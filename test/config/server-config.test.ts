import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadServerConfig, parsePortRange, parseServerConfig } from '../../src/config/server-config.js';
import { hashPassword } from '../../src/auth/password-hash.js';

function problemsOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_FTP_CONFIG');
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

async function loadProblems(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

describe('server config defaults', () => {
  it('fills every setting with its secure default', () => {
    const config = parseServerConfig({});
    assert.equal(config.host, '::');
    assert.equal(config.port, 21);
    assert.equal(config.root, process.cwd());
    assert.equal(config.passivePortRange, null);
    assert.equal(config.advertisedAddress, null);
    assert.equal(config.activeDataPort, null);
    assert.equal(config.allowsForeignDataPeer, false);
    assert.equal(config.allowsPrivilegedDataPort, false);
    assert.deepEqual(config.users, []);
    assert.equal(config.usersFile, null);
    assert.deepEqual(config.anonymous, { enabled: false, root: null, permissions: ['list', 'read'] });
    assert.deepEqual(config.limits, {
      maxCommandLineBytes: 4096,
      maxSessions: 1000,
      maxSessionsPerIp: 50,
      idleTimeoutMs: 300_000,
      passiveAcceptTimeoutMs: 30_000,
      activeConnectTimeoutMs: 30_000,
      dataStallTimeoutMs: 300_000,
      maxLoginAttempts: 3,
      loginFailureDelayMs: 1000,
      maxLoginFailureDelayMs: 10_000,
      banAfterFailures: 10,
      banDurationMs: 900_000,
      maxListingEntries: 100_000,
    });
    assert.deepEqual(config.bandwidth, { uploadBytesPerSecond: 0, downloadBytesPerSecond: 0 });
    assert.deepEqual(config.tls, {
      certFile: null,
      keyFile: null,
      caFile: null,
      implicitPort: null,
      requireForLogin: false,
      requireForData: false,
      requireSessionReuse: true,
      requireClientCert: false,
      minVersion: 'TLSv1.2',
    });
    assert.deepEqual(config.uploads, { atomic: false });
    assert.equal(config.fileIo, 'auto');
    assert.deepEqual(config.log, { level: 'info', format: 'auto' });
  });

  it('accepts undefined as "all defaults"', () => {
    assert.equal(parseServerConfig(undefined).port, 21);
  });

  it('returns a deep-frozen result', () => {
    const config = parseServerConfig({ users: [{ name: 'a', password: 'b', permissions: ['read'] }] });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.limits));
    assert.ok(Object.isFrozen(config.anonymous.permissions));
    assert.ok(Object.isFrozen(config.users[0]));
    assert.ok(Object.isFrozen(config.users[0]!.permissions));
    assert.throws(() => {
      (config.limits as { idleTimeoutMs: number }).idleTimeoutMs = 1;
    }, TypeError);
  });

  it('never shares default arrays between two configs', () => {
    const first = parseServerConfig({});
    const second = parseServerConfig({});
    assert.notEqual(first.anonymous.permissions, second.anonymous.permissions);
    assert.notEqual(first.users, second.users);
  });

  it('keeps given values next to the defaults of their siblings', () => {
    const config = parseServerConfig({ limits: { idleTimeoutMs: 5000 }, tls: { minVersion: 'TLSv1.3' }, passivePortRange: { min: 30000, max: 30010 } });
    assert.equal(config.limits.idleTimeoutMs, 5000);
    assert.equal(config.limits.maxSessions, 1000);
    assert.equal(config.tls.minVersion, 'TLSv1.3');
    assert.equal(config.tls.requireSessionReuse, true);
    assert.deepEqual(config.passivePortRange, { min: 30000, max: 30010 });
  });

  it('resolves a relative root and other paths to absolute ones', () => {
    const config = parseServerConfig({ root: 'srv', usersFile: 'users.yaml', anonymous: { root: 'pub' }, users: [{ name: 'a', password: 'b', home: 'home/a' }] });
    assert.equal(config.root, path.resolve('srv'));
    assert.equal(config.usersFile, path.resolve('users.yaml'));
    assert.equal(config.anonymous.root, path.resolve('pub'));
    assert.equal(config.users[0]!.home, path.resolve('home/a'));
  });

  it('accepts accounts with a plain password, a hash, per-user bandwidth and TLS policy', async () => {
    const hash = await hashPassword('x');
    const config = parseServerConfig({
      users: [
        { name: 'a', password: 'pw' },
        { name: 'b', passwordHash: hash, requireTls: true, bandwidth: { uploadBytesPerSecond: 100 } },
      ],
    });
    assert.deepEqual(config.users[1]!.bandwidth, { uploadBytesPerSecond: 100, downloadBytesPerSecond: 0 });
    assert.equal(config.users[1]!.requireTls, true);
  });
});

describe('server config errors', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a string where a number belongs', { limits: { idleTimeoutMs: 'abc' } }, 'limits.idleTimeoutMs: expected a number, got "abc"'],
    ['a fractional port', { port: 21.5 }, 'port: expected an integer, got 21.5'],
    ['a port above 65535', { port: 70000 }, 'port: must be at most 65535, got 70000'],
    ['a negative port', { port: -1 }, 'port: must be at least 0, got -1'],
    ['an unknown top-level key', { prot: 21 }, 'prot: unknown key'],
    ['an unknown nested key', { limits: { idleTimeout: 5 } }, 'limits.idleTimeout: unknown key'],
    ['an unknown log level', { log: { level: 'loud' } }, 'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"'],
    ['a passive range below 1024', { passivePortRange: { min: 80, max: 90 } }, 'passivePortRange.min: must be at least 1024, got 80'],
    ['an inverted passive range', { passivePortRange: { min: 5000, max: 4000 } }, 'passivePortRange: min must not exceed max'],
    ['a host name as advertised address', { advertisedAddress: 'ftp.example.com' }, 'advertisedAddress: expected an IP address'],
    ['a non-boolean security switch', { allowsForeignDataPeer: 'yes' }, 'allowsForeignDataPeer: expected true or false, got "yes"'],
    ['an account without a password', { users: [{ name: 'a' }] }, 'users[0]: needs a password or a passwordHash'],
    ['an account with a malformed hash', { users: [{ name: 'a', passwordHash: 'hunter2' }] }, 'users[0].passwordHash: expected an scrypt hash'],
    ['an unknown permission', { anonymous: { permissions: ['list', 'exec'] } }, 'anonymous.permissions[1]: expected one of'],
    ['an account without a name', { users: [{ password: 'x' }] }, 'users[0].name: required, expected a string'],
    ['a certificate without a key', { tls: { certFile: '/etc/cert.pem' } }, 'tls.keyFile: needed together with certFile'],
    ['an unknown file I/O mode', { fileIo: 'sometimes' }, 'fileIo: expected one of "auto", "thread-pool", got "sometimes"'],
    ['an old TLS version', { tls: { minVersion: 'TLSv1' } }, 'tls.minVersion: expected one of "TLSv1.2", "TLSv1.3", got "TLSv1"'],
    ['a login delay cap below the base delay', { limits: { loginFailureDelayMs: 5000, maxLoginFailureDelayMs: 100 } }, 'limits.maxLoginFailureDelayMs: maxLoginFailureDelayMs must not be below loginFailureDelayMs'],
    ['a zero timeout', { limits: { idleTimeoutMs: 0 } }, 'limits.idleTimeoutMs: must be at least 1, got 0'],
    ['negative bandwidth', { bandwidth: { uploadBytesPerSecond: -5 } }, 'bandwidth.uploadBytesPerSecond: must be at least 0, got -5'],
    ['a scalar instead of settings', 42, 'configuration: expected a mapping, got 42'],
  ];
  for (const [description, input, expected] of cases) {
    it(`names the key and the problem for ${description}`, () => {
      const message = problemsOf(() => parseServerConfig(input));
      assert.ok(message.includes(expected), `expected "${expected}" in:\n${message}`);
    });
  }

  it('reports every problem at once, one per line', () => {
    const message = problemsOf(() => parseServerConfig({ port: 'x', host: 5, limits: { maxSessions: 0 } }));
    const lines = message.split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((line) => line.startsWith('port: ')));
    assert.ok(lines.some((line) => line.startsWith('host: ')));
    assert.ok(lines.some((line) => line.startsWith('limits.maxSessions: ')));
  });
});

describe('parsePortRange', () => {
  const valid: Array<[string, { min: number; max: number }]> = [
    ['21100-21110', { min: 21100, max: 21110 }],
    ['30000', { min: 30000, max: 30000 }],
    [' 40000 - 40010 ', { min: 40000, max: 40010 }],
    ['1-65535', { min: 1, max: 65535 }],
  ];
  for (const [text, expected] of valid) {
    it(`parses ${JSON.stringify(text)}`, () => assert.deepEqual(parsePortRange(text), expected));
  }
  for (const text of ['', 'abc', '100-', '-100', '5000-4000', '0-10', '65536', '1-70000', '10:20', '1.5-2', '100-200-300']) {
    it(`refuses ${JSON.stringify(text)} with a ConfigError`, () => {
      const message = problemsOf(() => parsePortRange(text));
      assert.ok(message.includes(JSON.stringify(text)));
    });
  }
});

describe('loadServerConfig', () => {
  let directory: string;
  let counter = 0;
  before(async () => {
    directory = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-config-')));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  async function configFile(text: string): Promise<string> {
    const filePath = path.join(directory, `ferry-${counter++}.yaml`);
    await writeFile(filePath, text);
    return filePath;
  }

  it('gives the defaults with no sources at all', async () => {
    assert.deepEqual(await loadServerConfig({}), parseServerConfig({}));
    assert.deepEqual(await loadServerConfig(), parseServerConfig({}));
  });

  it('reads a YAML file and resolves its relative paths against its own directory', async () => {
    const file = await configFile(`
port: 2121
root: ./served
usersFile: users.yaml
anonymous:
  enabled: true
  root: pub
tls:
  certFile: certs/cert.pem
  keyFile: certs/key.pem
users:
  - name: alice
    password: secret
    home: homes/alice
limits:
  idleTimeoutMs: 60000
`);
    const config = await loadServerConfig({ configFile: file });
    assert.equal(config.port, 2121);
    assert.equal(config.root, path.join(directory, 'served'));
    assert.equal(config.usersFile, path.join(directory, 'users.yaml'));
    assert.equal(config.anonymous.enabled, true);
    assert.equal(config.anonymous.root, path.join(directory, 'pub'));
    assert.equal(config.tls.certFile, path.join(directory, 'certs', 'cert.pem'));
    assert.equal(config.users[0]!.home, path.join(directory, 'homes', 'alice'));
    assert.equal(config.limits.idleTimeoutMs, 60000);
    assert.equal(config.limits.maxSessions, 1000);
    assert.ok(Object.isFrozen(config.limits));
  });

  it('treats an empty file as no settings', async () => {
    assert.equal((await loadServerConfig({ configFile: await configFile('') })).port, 21);
  });

  it('stops on a bad key in the file with a message naming the file, key and problem', async () => {
    const file = await configFile('limits:\n  idleTimeoutMs: abc\n');
    const message = await loadProblems(loadServerConfig({ configFile: file }));
    assert.equal(message, `${file}: limits.idleTimeoutMs: expected a number, got "abc"`);
    const misspelt = await configFile('allowForeignDataPeer: true\n');
    assert.equal(await loadProblems(loadServerConfig({ configFile: misspelt })), `${misspelt}: allowForeignDataPeer: unknown key`);
  });

  it('reports a missing file, invalid YAML and a non-mapping document with the file name', async () => {
    const missing = path.join(directory, 'absent.yaml');
    assert.equal(await loadProblems(loadServerConfig({ configFile: missing })), `${missing}: cannot read the config file (ENOENT)`);
    const broken = await configFile('port: [1,\n');
    assert.ok((await loadProblems(loadServerConfig({ configFile: broken }))).startsWith(`${broken}: not valid YAML`));
    const list = await configFile('- a\n- b\n');
    assert.equal(await loadProblems(loadServerConfig({ configFile: list })), `${list}: expected a mapping of settings, got a list`);
  });

  it('reads FERRY_* environment variables', async () => {
    const config = await loadServerConfig({
      env: {
        FERRY_HOST: '127.0.0.1',
        FERRY_PORT: '2121',
        FERRY_ROOT: directory,
        FERRY_PASV_PORTS: '40000-40009',
        FERRY_PASV_ADDRESS: '203.0.113.7',
        FERRY_LOG_LEVEL: 'debug',
        UNRELATED: 'ignored',
      },
    });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 2121);
    assert.equal(config.root, directory);
    assert.deepEqual(config.passivePortRange, { min: 40000, max: 40009 });
    assert.equal(config.advertisedAddress, '203.0.113.7');
    assert.equal(config.log.level, 'debug');
  });

  it('ignores empty environment variables', async () => {
    assert.equal((await loadServerConfig({ env: { FERRY_PORT: '' } })).port, 21);
  });

  it('names the environment variable behind a bad value', async () => {
    assert.equal(await loadProblems(loadServerConfig({ env: { FERRY_PORT: 'abc' } })), 'environment variable FERRY_PORT: port: expected a number, got "abc"');
    assert.equal(
      await loadProblems(loadServerConfig({ env: { FERRY_LOG_LEVEL: 'loud' } })),
      'environment variable FERRY_LOG_LEVEL: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    );
    assert.match(await loadProblems(loadServerConfig({ env: { FERRY_PASV_PORTS: 'lots' } })), /^environment variable FERRY_PASV_PORTS: invalid port range "lots"/);
    assert.match(await loadProblems(loadServerConfig({ env: { FERRY_PASV_PORTS: '80-90' } })), /^environment variable FERRY_PASV_PORTS: passivePortRange.min: must be at least 1024/);
  });

  it('layers file, then environment, then overrides, deep-merging objects and replacing arrays', async () => {
    const file = await configFile(`
port: 2000
host: 10.0.0.1
limits:
  idleTimeoutMs: 1000
  maxSessions: 5
anonymous:
  enabled: true
  permissions: [list, read, write]
users:
  - { name: from-file, password: a }
`);
    const config = await loadServerConfig({
      configFile: file,
      env: { FERRY_PORT: '3000', FERRY_LOG_LEVEL: 'warn' },
      overrides: {
        port: 4000,
        limits: { idleTimeoutMs: 2000 },
        anonymous: { permissions: ['list'] },
        users: [{ name: 'from-flags', password: 'b' }],
        host: undefined,
      },
    });
    assert.equal(config.port, 4000, 'overrides beat environment and file');
    assert.equal(config.log.level, 'warn', 'environment beats defaults');
    assert.equal(config.host, '10.0.0.1', 'an undefined override leaves the file value');
    assert.deepEqual(config.limits, { ...parseServerConfig({}).limits, idleTimeoutMs: 2000, maxSessions: 5 });
    assert.equal(config.anonymous.enabled, true);
    assert.deepEqual(config.anonymous.permissions, ['list'], 'arrays are replaced, not merged');
    assert.deepEqual(
      config.users.map((user) => user.name),
      ['from-flags'],
    );
  });

  it('lets the environment override the file', async () => {
    const file = await configFile('port: 2000\n');
    assert.equal((await loadServerConfig({ configFile: file, env: { FERRY_PORT: '3000' } })).port, 3000);
  });

  it('names the command line behind a bad override, and the file behind a bad file value', async () => {
    const file = await configFile('limits:\n  maxSessions: many\n');
    const message = await loadProblems(loadServerConfig({ configFile: file, overrides: { port: 99999 } }));
    const lines = message.split('\n').sort();
    assert.deepEqual(lines, [`${file}: limits.maxSessions: expected a number, got "many"`, 'command line: port: must be at most 65535, got 99999'].sort());
  });

  it('resolves relative override paths against the working directory', async () => {
    const config = await loadServerConfig({ overrides: { root: 'relative-root' } });
    assert.equal(config.root, path.resolve('relative-root'));
  });
});
