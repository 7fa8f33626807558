import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { TlsControlSecurity, type SecurableSession, type SessionTls } from '../../src/server/tls/control-tls.js';
import { parseServerConfig } from '../../src/config/server-config.js';

/**
 * Idle sessions are most of a busy server: the FTPS state of one must not reach into its session
 * (its data channel, logger, socket) before a command needs it. The stub records every use.
 */
function recordingSession(): { session: SecurableSession; uses: string[] } {
  const uses: string[] = [];
  const session: SecurableSession = {
    get log(): Logger {
      uses.push('log');
      throw new Error('log used');
    },
    get controlSocket(): Socket {
      uses.push('controlSocket');
      throw new Error('controlSocket used');
    },
    detachSocketReader: () => uses.push('detachSocketReader'),
    replaceSocket: () => uses.push('replaceSocket'),
    close: () => uses.push('close'),
  };
  return { session, uses };
}

const tlsSettings = parseServerConfig({ tls: { requireForData: true } }).tls;

test('explicit FTPS security is created without touching the session and offers the upgrade', () => {
  const { session, uses } = recordingSession();
  let created = 0;
  const createSessionTls = (): SessionTls => {
    created++;
    throw new Error('not in this test');
  };
  const security = new TlsControlSecurity(session, tlsSettings, { mode: 'explicit', createSessionTls });
  assert.deepEqual(uses, []);
  assert.equal(created, 0);
  assert.equal(security.canUpgrade, true);
  assert.equal(security.isSecure, false);
  assert.equal(security.protectionLevel, 'C');
  assert.equal(security.protectsData, false);
  // requireForData with PROT C: refused with 522 before any 150
  assert.throws(() => security.checkTransferPolicy(), (error: { replyCode?: number }) => error.replyCode === 522);
  assert.deepEqual(uses, []);
});

test('implicit FTPS security is secure from the start and cannot be upgraded again', async () => {
  const { session, uses } = recordingSession();
  const sessionTls = {} as SessionTls;
  const security = new TlsControlSecurity(session, tlsSettings, { mode: 'implicit', sessionTls });
  assert.equal(security.isSecure, true);
  assert.equal(security.canUpgrade, false);
  assert.equal(security.hasProtectionBufferSize, true);
  assert.equal(security.protectionLevel, 'P');
  assert.equal(security.protectsData, true);
  await assert.rejects(security.upgrade());
  assert.deepEqual(uses, []);
});
