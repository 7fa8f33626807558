import { setTimeout as delay } from 'node:timers/promises';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/**
 * PASS (RFC 959 §4.1.1): finish a login. A failure is answered with 530 only after a delay that
 * grows per client IP (login-throttle), and too many failures on one connection close it.
 */
export const passCommand: CommandSpec = {
  name: 'PASS',
  help: 'PASS <sp> password',
  argument: 'optional',
  requiresLogin: false,
  async handle(context, argument) {
    const username = context.state.pendingUsername;
    if (username === null) {
      context.reply(context.state.isLoggedIn ? ReplyCode.UserLoggedIn : ReplyCode.BadSequence, context.state.isLoggedIn ? 'Already logged in.' : 'Login with USER first.');
      return;
    }
    context.state.pendingUsername = null;
    const throttle = context.loginThrottle;
    if (throttle.isBanned(context.peerAddress, username)) {
      context.log.warn({ user: username }, 'login refused: address or user temporarily banned');
      await delay(context.config.limits.loginFailureDelayMs);
      context.reply(ReplyCode.NotLoggedIn, 'Login incorrect.');
      return;
    }
    const account = await context.authenticator.authenticate(username, argument, {
      clientAddress: context.peerAddress,
      isSecure: context.security.isSecure,
    });
    if (!account) {
      context.state.failedLoginAttempts++;
      throttle.recordFailure(context.peerAddress, username);
      const delayMs = throttle.failureDelayMs(context.peerAddress);
      context.logEvent('warn', { user: username, attempts: context.state.failedLoginAttempts }, 'login failed');
      await delay(delayMs);
      context.reply(ReplyCode.NotLoggedIn, 'Login incorrect.');
      if (context.state.failedLoginAttempts >= context.config.limits.maxLoginAttempts) {
        context.reply(ReplyCode.ServiceNotAvailable, 'Too many failed logins; closing.');
        context.closeAfterReplies('too many failed logins');
      }
      return;
    }
    throttle.recordSuccess(context.peerAddress, username);
    context.state.account = account;
    context.state.failedLoginAttempts = 0;
    context.bindLogUser(account.username);
    context.logEvent('info', { isAnonymous: account.isAnonymous }, 'login');
    context.events.emitLogin({
      sessionId: context.sessionId,
      username: account.username,
      clientAddress: context.peerAddress,
      isAnonymous: account.isAnonymous,
    });
    context.reply(ReplyCode.UserLoggedIn, 'Login successful.');
  },
};
