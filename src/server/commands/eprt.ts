import { isIPv6 } from 'node:net';
import { DataAddressError, parseEprtArgument, type ExtendedDataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import { checkActiveTarget, resolveActiveTarget } from './active-target-policy.js';
import type { CommandSpec } from './command-spec.js';

/** EPRT (RFC 2428 §2): active mode to an IPv4 or IPv6 address. */
export const eprtCommand: CommandSpec = {
  name: 'EPRT',
  keepsRestartOffset: true,
  help: 'EPRT <sp> |proto|address|port|',
  argument: 'required',
  featLine: 'EPRT',
  handle(context, argument) {
    let target: ExtendedDataAddress;
    try {
      target = parseEprtArgument(argument);
    } catch (error) {
      if (error instanceof DataAddressError && /protocol/.test(error.message)) {
        throw new CommandError(ReplyCode.NetworkProtocolNotSupported, 'Network protocol not supported, use (1,2).');
      }
      throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Bad EPRT command.');
    }
    // RFC 2428 §2: the address family must match the one the server can reach the client on.
    if ((target.family === 2) !== isIPv6(context.peerAddress)) {
      throw new CommandError(ReplyCode.NetworkProtocolNotSupported, `Network protocol not supported, use (${isIPv6(context.peerAddress) ? 2 : 1}).`);
    }
    const resolved = resolveActiveTarget(context, target);
    checkActiveTarget(context, resolved, 'EPRT');
    context.dataChannel.setActiveTarget(resolved);
    context.reply(ReplyCode.CommandOk, 'EPRT command successful. Consider using EPSV.');
  },
};
