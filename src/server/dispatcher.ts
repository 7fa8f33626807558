/**
 * Registry lookup plus the generic guards every command gets from its spec: known verb, login,
 * argument shape, permission, and command order (RNTO must follow RNFR). Handlers never repeat them.
 */
import type { CommandLine } from '../protocol/command-line.js';
import { ReplyCode } from '../protocol/reply-code.js';
import type { CommandContext } from './command-context.js';
import type { CommandSpec } from './commands/command-spec.js';
import { replyForError } from './errors.js';

/** Verbs RFC 959 defines that Ferry deliberately does not implement (502, not 500). */
const knownUnimplementedVerbs = new Set(['SMNT', 'CCC', 'CONF', 'ENC', 'MIC', 'LANG', 'LPRT', 'LPSV', 'ADAT']);

/** Whether a path argument ends as only a directory's name can ("dir/", "dir/."). */
function namesDirectory(argument: string): boolean {
  return argument.endsWith('/') || argument.endsWith('/.');
}

/** Why a command was refused before its handler ran, or null when it may run. */
export function checkGuards(context: CommandContext, spec: CommandSpec | undefined, command: CommandLine): { replyCode: number; text: string } | null {
  if (!spec) {
    return knownUnimplementedVerbs.has(command.verb)
      ? { replyCode: ReplyCode.CommandNotImplemented, text: `${command.verb} not implemented.` }
      : { replyCode: ReplyCode.SyntaxError, text: 'Unknown command.' };
  }
  if ((spec.requiresLogin ?? true) && !context.state.isLoggedIn) {
    return { replyCode: ReplyCode.NotLoggedIn, text: 'Please login with USER and PASS.' };
  }
  const hasArgument = command.argument.length > 0;
  if (spec.argument === 'none' && hasArgument) {
    return { replyCode: ReplyCode.SyntaxErrorInParameters, text: `${spec.name} takes no argument.` };
  }
  if ((spec.argument === 'required' || spec.argument === 'path' || spec.argument === 'file') && !hasArgument) {
    return { replyCode: ReplyCode.SyntaxErrorInParameters, text: `${spec.name} needs an argument: ${spec.help}` };
  }
  if (spec.argument === 'file' && namesDirectory(command.argument)) {
    return { replyCode: ReplyCode.FileUnavailable, text: 'Not a plain file.' };
  }
  if (spec.permission && !context.state.account?.permissions.has(spec.permission)) {
    return { replyCode: ReplyCode.FileUnavailable, text: 'Permission denied.' };
  }
  return null;
}

/**
 * Run one command through the guards and its handler; every outcome ends in a reply. A promise
 * only when the handler returned one: a synchronous command (USER, NOOP, TYPE, PWD, …) runs to its
 * reply without the async frames and awaits that were most of what a command allocated.
 */
export function dispatchCommand(context: CommandContext, spec: CommandSpec | undefined, command: CommandLine): Promise<void> | void {
  // RFC 959 §4.1.3: RNTO must immediately follow RNFR; anything else cancels the pending rename.
  if (spec?.name !== 'RNTO') context.state.renameFrom = null;
  // RFC 3659 §5.5: REST must come right before its transfer; anything unrelated in between drops it.
  if (!spec?.keepsRestartOffset) context.state.restartOffset = 0;
  const refusal = checkGuards(context, spec, command);
  if (refusal || !spec) {
    context.reply(refusal!.replyCode, refusal!.text);
    return;
  }
  let running: Promise<void> | void;
  try {
    running = spec.handle(context, command.argument);
  } catch (error) {
    replyToFailure(context, spec, error);
    return;
  }
  // A handler's result is awaited only if it is a promise (a handler written as an arrow may hand back whatever its last call returned).
  if (running instanceof Promise) return running.catch((error: unknown) => replyToFailure(context, spec, error));
}

function replyToFailure(context: CommandContext, spec: CommandSpec, error: unknown): void {
  const { replyCode, text, isUnexpected } = replyForError(error);
  if (isUnexpected) context.log.error({ err: error, verb: spec.name }, 'command failed');
  else context.log.debug({ err: error, verb: spec.name }, 'command refused');
  context.reply(replyCode, text);
}
