import { parseOptsMlst } from '../../protocol/listing/mlsx.js';
import { ReplyCode } from '../../protocol/reply-code.js';
import { CommandError } from '../errors.js';
import type { CommandSpec } from './command-spec.js';

/** OPTS (RFC 2389 §4): "UTF8 ON|OFF" (RFC 2640; paths are always UTF-8) and "MLST facts" (RFC 3659 §7.9). */
export const optsCommand: CommandSpec = {
  name: 'OPTS',
  help: 'OPTS <sp> UTF8 ON | MLST facts',
  argument: 'required',
  requiresLogin: false,
  featLine: 'UTF8',
  handle(context, argument) {
    const [option = '', ...rest] = argument.trim().split(/\s+/);
    switch (option.toUpperCase()) {
      case 'UTF8':
      case 'UTF-8': {
        const value = (rest[0] ?? 'ON').toUpperCase();
        if (value !== 'ON' && value !== 'OFF') throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Usage: OPTS UTF8 ON');
        context.reply(ReplyCode.CommandOk, value === 'ON' ? 'Always in UTF8 mode.' : 'UTF8 is always on; names are UTF-8.');
        return;
      }
      case 'MLST': {
        const facts = parseOptsMlst(rest.join(' '));
        context.state.mlstFacts = facts;
        context.reply(ReplyCode.CommandOk, `MLST OPTS ${[...facts].map((fact) => `${fact};`).join('')}`);
        return;
      }
      default:
        throw new CommandError(ReplyCode.SyntaxErrorInParameters, 'Option not understood.');
    }
  },
};
