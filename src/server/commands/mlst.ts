import { formatMlstFeatLine, supportedMlsxFacts } from '../../protocol/listing/mlsx.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { describePath } from '../directory-listing.js';
import type { CommandSpec } from './command-spec.js';

/** MLST (RFC 3659 §7): facts of one path on the control connection. */
export const mlstCommand: CommandSpec = {
  name: 'MLST',
  help: 'MLST [<sp> pathname]',
  argument: 'optional',
  permission: 'list',
  featLine: (context) => formatMlstFeatLine(context.state.mlstFacts ?? new Set(supportedMlsxFacts)),
  async handle(context, argument) {
    const path = context.resolvePath(argument);
    const line = await describePath(context, path);
    // The fact line starts with a space (RFC 3659 §7.2); formatReply keeps it as an inner line.
    context.reply(ReplyCode.FileActionOk, [`Listing ${path}`, ` ${line}`, 'End']);
  },
};
