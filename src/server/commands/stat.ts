import { ReplyCode } from '../../protocol/reply-code.js';
import { formatUnixListLine } from '../../protocol/listing/unix-list.js';
import { collectEntries, splitListArgument } from '../directory-listing.js';
import type { CommandSpec } from './command-spec.js';

/**
 * STAT (RFC 959 §4.1.3): without an argument, the session's status (and a running transfer's
 * progress); with a path, its `ls -l` listing over the control connection (213).
 */
export const statCommand: CommandSpec = {
  name: 'STAT',
  help: 'STAT [<sp> pathname]',
  argument: 'optional',
  requiresLogin: false,
  allowedDuringTransfer: true,
  async handle(context, argument) {
    if (!argument) {
      const state = context.state;
      const lines = [
        'Ferry FTP server status:',
        `Connected to ${context.peerAddress}`,
        state.account ? `Logged in as ${state.account.username}` : 'Not logged in',
        `TYPE: ${state.transferType === 'ascii' ? 'ASCII' : 'BINARY'}, STRU: File, MODE: Stream`,
        `Control connection: ${context.security.isSecure ? 'TLS' : 'plain'}`,
        context.transfers.describe() ?? 'No data connection',
        'End of status',
      ];
      context.reply(ReplyCode.SystemStatus, lines);
      return;
    }
    const account = context.requireAccount();
    if (!account.permissions.has('list')) {
      context.reply(ReplyCode.FileUnavailable, 'Permission denied.');
      return;
    }
    const { options, path: pathArgument } = splitListArgument(argument);
    const path = context.resolvePath(pathArgument);
    const { entries } = await collectEntries(context, path, options.includes('a'));
    const now = new Date();
    const listing = entries.map((entry) => formatUnixListLine(entry, now));
    context.reply(ReplyCode.FileStatus, [`Status of ${path}:`, ...listing, 'End of status']);
  },
};
