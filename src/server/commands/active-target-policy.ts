/**
 * SECURITY (RFC 2577 §3, "FTP bounce"): an active-mode target must be the control connection's
 * peer and an unprivileged port, unless the configuration explicitly allows otherwise.
 */
import { isSameHost, type DataAddress } from '../../protocol/data-address.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../errors.js';

/**
 * The target to connect to: an unspecified address ("0.0.0.0", "::") means the client's own, as
 * lftp sends on loopback (it announces its unbound socket's getsockname()). Connecting to the
 * control peer can never bounce to a third host, so this is safe.
 */
export function resolveActiveTarget(context: CommandContext, target: DataAddress): DataAddress {
  const isUnspecified = target.host === '0.0.0.0' || /^[0:]+$/.test(target.host);
  return isUnspecified ? { host: context.peerAddress, port: target.port } : target;
}

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
