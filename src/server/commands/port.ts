import { parsePortArgument, type DataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import { checkActiveTarget, resolveActiveTarget } from './active-target-policy.js';
import type { CommandSpec } from './command-spec.js';

/** PORT (RFC 959 §4.1.2): active mode to an IPv4 address. */
export const portCommand: CommandSpec = {
  name: 'PORT',
  keepsRestartOffset: true,
  help: 'PORT <sp> h1,h2,h3,h4,p1,p2',
  argument: 'required',
  handle(context, argument) {
    let target: DataAddress;
    try {
      target = parsePortArgument(argument);
    } catch {
      throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Illegal PORT command.');
    }
    const resolved = resolveActiveTarget(context, target);
    checkActiveTarget(context, resolved, 'PORT');
    context.dataChannel.setActiveTarget(resolved);
    context.reply(ReplyCode.CommandOk, 'PORT command successful. Consider using PASV.');
  },
};
