import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccountAuthenticator, type AccountAuthenticatorOptions, type LoginFailure } from '../../src/auth/account-authenticator.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import { allPermissions } from '../../src/auth/permissions.js';
import { normalizeVirtualPath } from '../../src/protocol/virtual-path.js';
import { countAsyncResources } from '../helpers/async-resource-count.js';

const plain = { clientAddress: '192.0.2.10', isSecure: false };
const secure = { clientAddress: '192.0.2.10', isSecure: true };

/** Count scrypt runs (node:crypto creates one SCRYPTREQUEST async resource per run) during `work`. */
async function countScryptRuns<T>(work: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const { result, count } = await countAsyncResources(['SCRYPTREQUEST'], work);
  return { result, runs: count };
}

describe('AccountAuthenticator', () => {
  let sandbox: string;
  let aliceHash: string;
  const failures: LoginFailure[] = [];

  before(async () => {
    sandbox = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-auth-')));
    await mkdir(path.join(sandbox, 'alice'));
    await mkdir(path.join(sandbox, 'pub'));
    await writeFile(path.join(sandbox, 'alice', 'alice.txt'), 'alice');
    await writeFile(path.join(sandbox, 'pub', 'readme.txt'), 'public');
    await writeFile(path.join(sandbox, 'not-a-dir'), '');
    aliceHash = await hashPassword('alice-secret');
  });
  after(() => rm(sandbox, { recursive: true, force: true }));

  function build(overrides: Partial<AccountAuthenticatorOptions> = {}): AccountAuthenticator {
    return new AccountAuthenticator({
      accounts: [
        { name: 'alice', passwordHash: aliceHash, home: path.join(sandbox, 'alice'), permissions: ['list', 'read'] },
        { name: 'bob', password: 'bob-plain' },
        { name: 'carol', password: 'carol-plain', requireTls: true, bandwidth: { uploadBytesPerSecond: 1000, downloadBytesPerSecond: 2000 } },
        { name: 'dave', password: 'dave-plain', home: path.join(sandbox, 'missing') },
        { name: 'erin', password: 'erin-plain', home: path.join(sandbox, 'not-a-dir') },
      ],
      defaultRoot: sandbox,
      anonymous: { enabled: false, root: null, permissions: ['list', 'read'] },
      onFailure: (failure) => failures.push(failure),
      ...overrides,
    });
  }

  it('logs in an account with a hashed password, with its permissions and storage at its home', async () => {
    const account = await build().authenticate('alice', 'alice-secret', plain);
    assert.ok(account);
    assert.equal(account.username, 'alice');
    assert.equal(account.isAnonymous, false);
    assert.deepEqual([...account.permissions].sort(), ['list', 'read']);
    assert.deepEqual((await account.storage.list(normalizeVirtualPath('/'))).map((entry) => entry.name), ['alice.txt']);
  });

  it('logs in an account with a plain password, with every permission and the default root', async () => {
    const account = await build().authenticate('bob', 'bob-plain', plain);
    assert.ok(account);
    assert.deepEqual([...account.permissions].sort(), [...allPermissions].sort());
    assert.ok((await account.storage.list(normalizeVirtualPath('/'))).some((entry) => entry.name === 'alice'));
  });

  it('refuses wrong passwords and unknown users with null and reports why', async () => {
    const authenticator = build();
    assert.equal(await authenticator.authenticate('alice', 'wrong', plain), null);
    assert.equal(await authenticator.authenticate('bob', 'bob-plain ', plain), null);
    assert.equal(await authenticator.authenticate('bob', '', plain), null);
    assert.equal(await authenticator.authenticate('mallory', 'anything', plain), null);
    assert.equal(await authenticator.authenticate('Alice', 'alice-secret', plain), null, 'user names are case-sensitive');
    const result = await authenticator.authenticateWithReason('mallory', 'x', plain);
    assert.equal(result.account, null);
    assert.equal(result.failure?.reason, 'unknown-user');
    assert.equal((await authenticator.authenticateWithReason('alice', 'x', plain)).failure?.reason, 'wrong-password');
    assert.ok(failures.some((failure) => failure.username === 'mallory' && failure.clientAddress === '192.0.2.10'));
  });

  it('makes an unknown user and a plain-password account cost the same scrypt run as a wrong password', async () => {
    const authenticator = build();
    // Counted, not timed: scrypt dominates a login's time, so equal runs mean equal cost.
    for (const username of ['alice', 'nobody', 'bob']) {
      const { result, runs } = await countScryptRuns(() => authenticator.authenticate(username, 'wrong', plain));
      assert.equal(result, null);
      assert.equal(runs, 1, `${username}: one scrypt run`);
    }
  });

  it('refuses a TLS-only account over a plain connection and accepts it over TLS', async () => {
    const authenticator = build();
    assert.equal(authenticator.requiresTls('carol'), true);
    assert.equal(authenticator.requiresTls('bob'), false);
    assert.equal(authenticator.requiresTls('nobody'), false);
    assert.equal((await authenticator.authenticateWithReason('carol', 'carol-plain', plain)).failure?.reason, 'tls-required');
    const account = await authenticator.authenticate('carol', 'carol-plain', secure);
    assert.ok(account);
    assert.deepEqual(account.bandwidth, { uploadBytesPerSecond: 1000, downloadBytesPerSecond: 2000 });
  });

  it('fails the login when the home is missing or not a directory, reporting home-unavailable', async () => {
    const authenticator = build();
    const missing = await authenticator.authenticateWithReason('dave', 'dave-plain', plain);
    assert.equal(missing.account, null);
    assert.equal(missing.failure?.reason, 'home-unavailable');
    assert.ok(missing.failure?.cause);
    assert.equal((await authenticator.authenticateWithReason('erin', 'erin-plain', plain)).failure?.reason, 'home-unavailable');
  });

  it('refuses anonymous logins unless anonymous access is enabled', async () => {
    const authenticator = build();
    assert.equal(authenticator.isPasswordOptional('anonymous'), false);
    assert.equal(await authenticator.authenticate('anonymous', 'guest@example.com', plain), null);
    assert.equal(await authenticator.authenticate('ftp', '', plain), null);
  });

  it('logs anonymous users in read-only at the anonymous root when enabled', async () => {
    const authenticator = build({ anonymous: { enabled: true, root: path.join(sandbox, 'pub') } });
    assert.equal(authenticator.isPasswordOptional('ANONYMOUS'), true);
    assert.equal(authenticator.isPasswordOptional('alice'), false);
    const account = await authenticator.authenticate('anonymous', 'guest@example.com', plain);
    assert.ok(account);
    assert.equal(account.isAnonymous, true);
    assert.deepEqual([...account.permissions].sort(), ['list', 'read']);
    assert.deepEqual((await account.storage.list(normalizeVirtualPath('/'))).map((entry) => entry.name), ['readme.txt']);
  });

  it('gives anonymous users exactly the permissions granted to them', async () => {
    const authenticator = build({ anonymous: { enabled: true, root: null, permissions: ['list', 'read', 'write'] } });
    const account = await authenticator.authenticate('ftp', '', plain);
    assert.deepEqual([...(account?.permissions ?? [])].sort(), ['list', 'read', 'write']);
  });

  it('lets a real account named like an anonymous user keep its password', async () => {
    const authenticator = new AccountAuthenticator({
      accounts: [{ name: 'ftp', password: 'real' }],
      defaultRoot: sandbox,
      anonymous: { enabled: true, root: null },
    });
    assert.equal(await authenticator.authenticate('ftp', 'wrong', plain), null);
    assert.equal((await authenticator.authenticate('ftp', 'real', plain))?.isAnonymous, false);
  });

  it('rejects duplicate account names at construction', () => {
    assert.throws(
      () => new AccountAuthenticator({ accounts: [{ name: 'x', password: 'a' }, { name: 'x', password: 'b' }], defaultRoot: sandbox, anonymous: { enabled: false, root: null } }),
      /duplicate account name 'x'/,
    );
  });

  it('passes atomicUploads on to the account storage', async () => {
    const authenticator = build({ atomicUploads: true });
    const account = await authenticator.authenticate('bob', 'bob-plain', plain);
    assert.ok(account);
    const target = await account.storage.openWrite(normalizeVirtualPath('/atomic-probe.txt'), { mode: 'truncate' });
    await new Promise<void>((resolve) => target.stream.write('partial', () => resolve()));
    await assert.rejects(account.storage.stat(normalizeVirtualPath('/atomic-probe.txt')), { kind: 'not-found' });
    target.stream.destroy();
    await new Promise((resolve) => target.stream.once('close', resolve));
  });
});

describe('AccountAuthenticator verified-credentials cache', () => {
  it('answers a repeated successful login without scrypt, and never caches failures', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'ferry-auth-cache-'));
    const authenticator = new AccountAuthenticator({
      accounts: [
        { name: 'cam', password: 'pw' },
        { name: 'hashed', passwordHash: await hashPassword('pw2') },
      ],
      defaultRoot: home,
      anonymous: { enabled: false, root: null, permissions: [] },
    });
    const context = { clientAddress: '192.0.2.1', isSecure: false };
    const login = (user: string, password: string) => countScryptRuns(() => authenticator.authenticate(user, password, context));

    const first = await login('cam', 'pw');
    assert.ok(first.result);
    assert.ok(first.runs >= 1, 'the first login verifies with scrypt');
    const repeated = await login('cam', 'pw');
    assert.ok(repeated.result);
    assert.equal(repeated.runs, 0, 'a repeated successful login is answered from the cache');

    for (let attempt = 0; attempt < 2; attempt++) {
      const wrong = await login('cam', 'nope');
      assert.equal(wrong.result, null);
      assert.equal(wrong.runs, 1, `failure ${attempt + 1} still pays for one scrypt run`);
      const unknown = await login('nobody', 'pw');
      assert.equal(unknown.result, null);
      assert.equal(unknown.runs, 1, 'an unknown user costs the same scrypt run (no enumeration by timing)');
    }

    assert.equal((await login('hashed', 'pw2')).runs, 1);
    assert.equal((await login('hashed', 'pw2')).runs, 0);
    assert.equal((await login('hashed', 'pw')).runs, 1, 'another password of a cached user is verified again');
    await rm(home, { recursive: true, force: true });
  });
});
