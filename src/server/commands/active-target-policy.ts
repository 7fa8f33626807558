/**
 * SECURITY (RFC 2577 §3, "FTP bounce"): an active-mode target must be the control connection's
 * peer and an unprivileged port, unless the configuration explicitly allows otherwise.
 */
import { isSameHost, type DataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../errors.js';

/** Throw 500 for a PORT/EPRT target the policy refuses; otherwise accept it. */
export function checkActiveTarget(context: CommandContext, target: DataAddress, verb: string): void {
  if (!context.config.allowsForeignDataPeer && !isSameHost(target.host, context.peerAddress)) {
    context.log.warn({ target }, `refused ${verb} to a foreign address (bounce attempt)`);
    throw new CommandError(ReplyCode.SyntaxError, `Illegal ${verb} command: address must be your own.`);
  }
  if (!context.config.allowsPrivilegedDataPort && target.port < 1024) {
    context.log.warn({ target }, `refused ${verb} to a privileged port`);
    throw new CommandError(ReplyCode.SyntaxError, `Illegal ${verb} command: port below 1024.`);
  }
  if (context.state.isEpsvAllMode) throw new CommandError(ReplyCode.BadSequence, `${verb} not allowed after EPSV ALL.`);
}
