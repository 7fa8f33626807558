import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCommandRegistry } from '../../src/server/commands/index.js';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

test('greets with 220 and logs in with USER/PASS', async (t) => {
  const { port } = await startTestServer(t);
  const { connection, greeting } = await RawFtpConnection.open(t, port);
  assert.equal(greeting.replyCode, 220);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
  await connection.expect('PWD', 257);
});

test('answers a wrong password with 530 and lets the client retry', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS wrong', 530);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
});

test('refuses an unknown user with the same 530 as a wrong password', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('USER mallory', 331);
  const reply = await connection.expect('PASS secret', 530);
  assert.equal(reply.lines[0], 'Login incorrect.');
});

test('closes the session with 421 after too many failed logins', async (t) => {
  const { port } = await startTestServer(t, { limits: { maxLoginAttempts: 2 } });
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS a', 530);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS b', 530);
  assert.equal((await connection.nextReply()).replyCode, 421);
  await connection.waitForClose();
});

test('delays the 530 after a failed login', async (t) => {
  const { port } = await startTestServer(t, { limits: { loginFailureDelayMs: 300, maxLoginFailureDelayMs: 1000 } });
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('USER alice', 331);
  const started = Date.now();
  await connection.expect('PASS wrong', 530);
  assert.ok(Date.now() - started >= 250, `530 came after ${Date.now() - started} ms`);
});

test('answers PASS without USER with 503', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('PASS secret', 503);
});

test('refuses every command that needs a login with 530 before login', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  const registry = createCommandRegistry();
  const refused: string[] = [];
  for (const spec of registry.specs) {
    if (spec.requiresLogin === false) continue;
    for (const verb of [spec.name, ...(spec.aliases ?? [])]) {
      const argument = spec.argument === 'none' ? '' : ' x';
      const reply = await connection.send(verb + argument);
      if (reply.replyCode === 530) refused.push(verb);
      else assert.fail(`${verb} answered ${reply.replyCode} before login`);
    }
  }
  assert.ok(refused.includes('RETR') && refused.includes('LIST') && refused.includes('PASV') && refused.includes('CWD'));
});

test('accepts only the login, help and connection commands before login', () => {
  const allowed = createCommandRegistry()
    .specs.filter((spec) => spec.requiresLogin === false)
    .map((spec) => spec.name)
    .sort();
  assert.deepEqual(allowed, ['ACCT', 'AUTH', 'CCC', 'FEAT', 'HELP', 'HOST', 'NOOP', 'OPTS', 'PASS', 'PBSZ', 'PROT', 'QUIT', 'REIN', 'STAT', 'SYST', 'USER']);
});

test('refuses anonymous logins unless enabled', async (t) => {
  const { port } = await startTestServer(t);
  const { connection } = await RawFtpConnection.open(t, port);
  await connection.expect('USER anonymous', 331);
  await connection.expect('PASS guest@example.com', 530);
});

test('lets anonymous read but not write when enabled', async (t) => {
  const { port, root } = await startTestServer(t, { anonymous: { enabled: true } });
  await writeFile(join(root, 'readme.txt'), 'hello');
  const connection = await RawFtpConnection.login(t, port, 'anonymous', 'guest@example.com');
  await connection.expect('SIZE readme.txt', 213);
  await connection.expect('STOR upload.txt', 550);
  await connection.expect('DELE readme.txt', 550);
  await connection.expect('MKD dir', 550);
  await connection.expect('RNFR readme.txt', 550);
  await connection.expect('APPE readme.txt', 550);
  await connection.expect('SITE CHMOD 777 readme.txt', 550);
  const ftpLogin = await RawFtpConnection.login(t, port, 'ftp', '');
  await ftpLogin.expect('PWD', 257);
});

test('emits a login event with the user name', async (t) => {
  const { port, server } = await startTestServer(t);
  const events: string[] = [];
  server.on('login', (event) => events.push(event.username));
  await RawFtpConnection.login(t, port);
  assert.deepEqual(events, ['alice']);
});

test('REIN logs the user out', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  await connection.expect('REIN', 220);
  await connection.expect('PWD', 530);
  await connection.expect('USER alice', 331);
  await connection.expect('PASS secret', 230);
});
