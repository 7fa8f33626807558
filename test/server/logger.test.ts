import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, withoutSecrets } from '../../src/server/logger.js';

/** A JSON logger writing into an array of parsed lines. */
function capturedLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { log: createLogger({ level: 'info', format: 'json' }, destination), lines };
}

test('passwords never reach the log: at the top level and one level down of a line, and at the top level of child bindings', () => {
  const { log, lines } = capturedLogger();
  const user = { name: 'alice', password: 'hunter2', passwordHash: '$scrypt$abc' };
  log.info({ password: 'top-secret', user, count: 3 }, 'first');
  log.child({ passwordHash: 'bound-hash', session: 7 }).info({ event: 'login' }, 'second');
  const text = JSON.stringify(lines);
  for (const secret of ['top-secret', 'hunter2', '$scrypt$abc', 'bound-hash']) assert.ok(!text.includes(secret), `${secret} is not logged`);
  assert.equal(lines[0]!['password'], '****');
  assert.deepEqual(lines[0]!['user'], { name: 'alice', password: '****', passwordHash: '****' });
  assert.equal(lines[0]!['count'], 3);
  assert.equal(lines[1]!['passwordHash'], '****');
  assert.equal(lines[1]!['session'], 7);
  assert.deepEqual(user, { name: 'alice', password: 'hunter2', passwordHash: '$scrypt$abc' }, 'the caller\'s object is left alone');
});

test('a log object without secrets is passed on as it is, not copied', () => {
  const plain = { session: 1, remote: { address: '127.0.0.1', port: 2121 }, list: [{ password: 'in an array: not a path pino redacted either' }] };
  assert.equal(withoutSecrets(plain), plain);
  const secret = { remote: { password: 'x' } };
  const cleaned = withoutSecrets(secret);
  assert.notEqual(cleaned, secret);
  assert.deepEqual(cleaned, { remote: { password: '****' } });
});
