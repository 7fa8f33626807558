import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/auth/password-hash.js';

describe('password hashes', () => {
  it('produces scrypt$N$r$p$salt$hash with N=16384, r=8, p=1, a 16-byte salt and a 32-byte key', async () => {
    const stored = await hashPassword('correct horse');
    const [scheme, N, r, p, salt, key] = stored.split('$');
    assert.deepEqual([scheme, N, r, p], ['scrypt', '16384', '8', '1']);
    assert.equal(Buffer.from(salt!, 'base64').length, 16);
    assert.equal(Buffer.from(key!, 'base64').length, 32);
    assert.ok(isPasswordHash(stored));
  });

  it('salts every hash, so one password hashes differently each time', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('pässwörd 🔑');
    assert.equal(await verifyPassword('pässwörd 🔑', stored), true);
    assert.equal(await verifyPassword('password', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('verifies hashes made with other cost parameters, as they travel with the hash', async () => {
    // Made with N=1024, r=8, p=1 for this password.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('legacy', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('legacy', stored), true);
    assert.equal(await verifyPassword('other', stored), false);
  });

  it('answers false, never throws, for malformed stored strings', async () => {
    const good = await hashPassword('x');
    const parts = good.split('$');
    const malformed = [
      '',
      'x',
      'plain-password',
      good.replace('scrypt', 'bcrypt'),
      parts.slice(0, 5).join('$'),
      [...parts, 'extra'].join('$'),
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', '0', ...parts.slice(2)].join('$'),
      ['scrypt', String(2 ** 30), ...parts.slice(2)].join('$'), // absurd cost
      ['scrypt', '16384', '999', ...parts.slice(3)].join('$'),
      ['scrypt', '16384', '8', '1', 'not base64!', parts[5]].join('$'),
      ['scrypt', '16384', '8', '1', parts[4], 'AAAA'].join('$'), // key too short
      ['scrypt', '16384', '8', '1', '', parts[5]].join('$'),
    ];
    for (const stored of malformed) {
      assert.equal(await verifyPassword('x', stored), false, stored);
      assert.equal(isPasswordHash(stored), false, stored);
    }
  });
});
