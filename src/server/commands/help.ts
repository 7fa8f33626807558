import { ReplyCode } from '../../protocol/reply-code.js';
import type { CommandSpec } from './command-spec.js';

/** HELP (RFC 959 §4.1.3): the command list, or one command's syntax; generated from the registry. */
export const helpCommand: CommandSpec = {
  name: 'HELP',
  help: 'HELP [<sp> command]',
  argument: 'optional',
  requiresLogin: false,
  handle(context, argument) {
    const verb = argument.trim().toUpperCase();
    if (verb) {
      const spec = context.registry.lookup(verb);
      if (!spec) {
        context.reply(ReplyCode.SyntaxErrorInParameters, `Unknown command ${verb}.`);
        return;
      }
      context.reply(ReplyCode.HelpMessage, `Syntax: ${spec.help}`);
      return;
    }
    const verbs = context.registry.verbs;
    const rows: string[] = [];
    for (let index = 0; index < verbs.length; index += 8) rows.push(' ' + verbs.slice(index, index + 8).map((name) => name.padEnd(5)).join(' '));
    context.reply(ReplyCode.HelpMessage, ['The following commands are recognized.', ...rows, 'Help OK.']);
  },
};
