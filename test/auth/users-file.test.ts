import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadUsersFile, UsersFileError } from '../../src/auth/users-file.js';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';

describe('users file', () => {
  let directory: string;
  let hash: string;
  let counter = 0;

  before(async () => {
    directory = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-users-')));
    hash = await hashPassword('s3cret');
  });
  after(() => rm(directory, { recursive: true, force: true }));

  async function fileWith(text: string): Promise<string> {
    const filePath = path.join(directory, `users-${counter++}.yaml`);
    await writeFile(filePath, text);
    return filePath;
  }

  async function expectProblem(text: string, expected: string | RegExp): Promise<UsersFileError> {
    const filePath = await fileWith(text);
    try {
      await loadUsersFile(filePath);
    } catch (error) {
      assert.ok(error instanceof UsersFileError, String(error));
      assert.ok(error.message.startsWith(filePath), `message names the file: ${error.message}`);
      if (typeof expected === 'string') assert.ok(error.message.includes(expected), `expected "${expected}" in: ${error.message}`);
      else assert.match(error.message, expected);
      return error;
    }
    assert.fail('expected loadUsersFile to fail');
  }

  it('loads accounts with hashes, homes, permissions, TLS policy and bandwidth', async () => {
    const filePath = await fileWith(`
users:
  - name: alice
    password: ${hash}
    home: /srv/alice
    permissions: [list, read, write]
    requireTls: true
    bandwidth: { downloadBytesPerSecond: 1048576 }
  - name: bob
    password: ${hash}
`);
    const accounts = await loadUsersFile(filePath);
    assert.deepEqual(accounts, [
      {
        name: 'alice',
        passwordHash: hash,
        home: '/srv/alice',
        permissions: ['list', 'read', 'write'],
        requireTls: true,
        bandwidth: { uploadBytesPerSecond: 0, downloadBytesPerSecond: 1048576 },
      },
      { name: 'bob', passwordHash: hash },
    ]);
    assert.equal(await verifyPassword('s3cret', accounts[0]!.passwordHash!), true);
  });

  it("resolves a relative home against the users file's directory", async () => {
    const accounts = await loadUsersFile(await fileWith(`users:\n  - name: a\n    password: ${hash}\n    home: ./homes/a\n`));
    assert.equal(accounts[0]!.home, path.join(directory, 'homes', 'a'));
  });

  it('names the entry and key of an unknown permission', async () => {
    await expectProblem(
      `users:\n  - name: a\n    password: ${hash}\n  - name: b\n    password: ${hash}\n    permissions: [exec]\n`,
      "users[1].permissions[0]: unknown permission 'exec'",
    );
  });

  it('refuses a plain password where a hash belongs', async () => {
    await expectProblem(`users:\n  - name: a\n    password: hunter2\n`, 'users[0].password: expected an scrypt hash');
  });

  it('refuses unknown keys, such as a misspelt one', async () => {
    await expectProblem(`users:\n  - name: a\n    password: ${hash}\n    permisions: [list]\n`, 'users[0].permisions: unknown key');
    await expectProblem(`users: []\ngroups: []\n`, 'groups: unknown key');
  });

  it('names missing and mistyped keys', async () => {
    await expectProblem(`users:\n  - password: ${hash}\n`, 'users[0].name: expected a user name');
    await expectProblem(`users:\n  - name: a\n    password: ${hash}\n    requireTls: "yes"\n`, 'users[0].requireTls: expected true or false');
    await expectProblem(`users:\n  - name: a\n    password: ${hash}\n    permissions: read\n`, 'users[0].permissions: expected a list of permissions');
    await expectProblem(`users: alice\n`, 'users: expected a list of users');
  });

  it('refuses duplicate user names', async () => {
    await expectProblem(`users:\n  - name: a\n    password: ${hash}\n  - name: a\n    password: ${hash}\n`, "users[1].name: duplicate user name 'a'");
  });

  it('reports every problem, each with its file', async () => {
    const error = await expectProblem(`users:\n  - name: ""\n    password: x\n`, 'users[0].name: must not be empty');
    assert.equal(error.problems.length, 2);
    assert.ok(error.message.includes(`\n${error.message.split(':')[0]}: users[0].password`));
  });

  it('reports invalid YAML and unreadable files with the file name', async () => {
    await expectProblem(`users: [\n`, 'not valid YAML');
    await assert.rejects(loadUsersFile(path.join(directory, 'absent.yaml')), (error: unknown) => {
      assert.ok(error instanceof UsersFileError);
      assert.match(error.message, /absent\.yaml: cannot read the users file \(ENOENT\)/);
      return true;
    });
  });

  it('treats an empty file as missing its users list', async () => {
    await expectProblem('', 'users: expected a list of users');
  });
});
