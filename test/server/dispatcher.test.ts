import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandContext } from '../../src/server/command-context.js';
import type { CommandSpec } from '../../src/server/commands/command-spec.js';
import { dispatchCommand } from '../../src/server/dispatcher.js';
import { CommandError } from '../../src/server/errors.js';
import { RawFtpConnection } from '../helpers/raw-ftp.js';
import { startTestServer } from '../helpers/test-server.js';

/** The part of a context dispatchCommand uses, recording replies. */
function recordingContext(): { context: CommandContext; replies: [number, string][] } {
  const replies: [number, string][] = [];
  const context = {
    state: { renameFrom: null, isLoggedIn: true, account: null },
    reply: (replyCode: number, text: string) => replies.push([replyCode, text]),
    log: { error: () => undefined, debug: () => undefined },
  } as unknown as CommandContext;
  return { context, replies };
}

function spec(handle: CommandSpec['handle']): CommandSpec {
  return { name: 'TEST', help: 'TEST', argument: 'optional', handle };
}

test('a synchronous command runs to its reply within the call, with no promise; an asynchronous one returns a promise that never rejects', async () => {
  const sync = recordingContext();
  const result = dispatchCommand(sync.context, spec((context) => context.reply(200, 'done')), { verb: 'TEST', argument: '' });
  assert.equal(result, undefined, 'no promise for a synchronous handler');
  assert.deepEqual(sync.replies, [[200, 'done']]);

  const failing = recordingContext();
  const thrown = dispatchCommand(failing.context, spec(() => {
    throw new CommandError(550, 'No such file.');
  }), { verb: 'TEST', argument: '' });
  assert.equal(thrown, undefined);
  assert.deepEqual(failing.replies, [[550, 'No such file.']], 'a synchronous throw becomes its reply');

  const rejecting = recordingContext();
  const running = dispatchCommand(rejecting.context, spec(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    throw new CommandError(553, 'Refused.');
  }), { verb: 'TEST', argument: '' });
  assert.ok(running instanceof Promise);
  assert.deepEqual(rejecting.replies, [], 'not before the handler settles');
  await running;
  assert.deepEqual(rejecting.replies, [[553, 'Refused.']]);

  const refused = recordingContext();
  assert.equal(dispatchCommand(refused.context, spec(() => undefined), { verb: 'TEST', argument: 'x' }), undefined);
  assert.equal(dispatchCommand(refused.context, undefined, { verb: 'XYZZY', argument: '' }), undefined);
  assert.deepEqual(refused.replies, [[500, 'Unknown command.']]);
});

test('pipelined commands, synchronous and asynchronous mixed, are answered in the order sent', async (t) => {
  const { port } = await startTestServer(t);
  const connection = await RawFtpConnection.login(t, port);
  connection.write('MKD sub\r\nNOOP\r\nCWD sub\r\nPWD\r\nCWD /missing\r\nTYPE I\r\nCDUP\r\nPWD\r\nSYST\r\n');
  const codes: number[] = [];
  for (let index = 0; index < 9; index++) codes.push((await connection.nextReply()).replyCode);
  assert.deepEqual(codes, [257, 200, 250, 257, 550, 200, 250, 257, 215]);
});
