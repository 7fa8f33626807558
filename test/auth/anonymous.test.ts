import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousPermissions, anonymousUserNames, disabledAnonymousPolicy, isAnonymousUserName } from '../../src/auth/anonymous.js';

describe('anonymous access', () => {
  it('recognises "anonymous" and "ftp" in any letter case, and nothing else', () => {
    assert.deepEqual(anonymousUserNames, ['anonymous', 'ftp']);
    for (const name of ['anonymous', 'ANONYMOUS', 'Anonymous', 'ftp', 'FTP']) assert.equal(isAnonymousUserName(name), true, name);
    for (const name of ['anon', 'ftpuser', ' anonymous', 'root', '']) assert.equal(isAnonymousUserName(name), false, name);
  });

  it('is disabled by default', () => {
    assert.equal(disabledAnonymousPolicy.enabled, false);
  });

  it('is read-only unless permissions are granted explicitly', () => {
    assert.deepEqual([...anonymousPermissions({ enabled: true, root: null })].sort(), ['list', 'read']);
    assert.deepEqual([...anonymousPermissions({ enabled: true, root: null, permissions: ['list', 'read', 'write'] })].sort(), ['list', 'read', 'write']);
  });
});
