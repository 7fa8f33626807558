import { isIPv4 } from 'node:net';
import { formatPasvReplyText } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** The IPv4 address a 227 reply advertises: the configured one (NAT) or the control connection's. */
export function advertisedPassiveAddress(context: CommandContext): string {
  return context.config.advertisedAddress ?? context.localAddress;
}

/** PASV (RFC 959 §4.1.2): listen on a passive port and advertise an IPv4 address. */
export const pasvCommand: CommandSpec = {
  name: 'PASV',
  keepsRestartOffset: true,
  help: 'PASV',
  argument: 'none',
  async handle(context) {
    if (context.state.isEpsvAllMode) throw new CommandError(ReplyCode.BadSequence, 'PASV not allowed after EPSV ALL.');
    const host = advertisedPassiveAddress(context);
    // 227 can only carry IPv4 (RFC 2428 §1); IPv6 clients must use EPSV.
    if (!isIPv4(host)) throw new CommandError(ReplyCode.CannotOpenDataConnection, 'PASV needs IPv4; use EPSV.');
    const port = await context.dataChannel.listenPassive();
    context.reply(ReplyCode.EnteringPassiveMode, formatPasvReplyText({ host, port }));
  },
};
