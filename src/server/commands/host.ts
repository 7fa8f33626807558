import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** HOST (RFC 7151): name the virtual host before login; one host is served, any name is accepted. */
export const hostCommand: CommandSpec = {
  name: 'HOST',
  help: 'HOST <sp> hostname',
  argument: 'required',
  requiresLogin: false,
  featLine: 'HOST',
  handle(context, argument) {
    // RFC 7151 §3.1: HOST after login (or USER) is a bad sequence.
    if (context.state.isLoggedIn || context.state.pendingUsername !== null) {
      throw new CommandError(ReplyCode.BadSequence, 'HOST must come before USER.');
    }
    context.state.virtualHost = argument.trim();
    context.reply(ReplyCode.ServiceReady, 'Host accepted.');
  },
};
