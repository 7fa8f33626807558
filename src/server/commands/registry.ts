/** Lookup of command specs by verb or alias; FEAT and HELP are generated from it. */
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from './command-spec.js';

/** An immutable verb → spec table built from the command list. */
export class CommandRegistry {
  private readonly byVerb = new Map<string, CommandSpec>();

  constructor(readonly specs: readonly CommandSpec[]) {
    for (const spec of specs) {
      for (const verb of [spec.name, ...(spec.aliases ?? [])]) {
        if (this.byVerb.has(verb)) throw new Error(`duplicate command verb ${verb}`);
        this.byVerb.set(verb, spec);
      }
    }
  }

  /** The spec for a verb (upper case) or alias, if any. */
  lookup(verb: string): CommandSpec | undefined {
    return this.byVerb.get(verb);
  }

  /** Every verb and alias, sorted (for HELP). */
  get verbs(): string[] {
    return [...this.byVerb.keys()].sort();
  }

  /** FEAT lines (RFC 2389 §3.2) contributed by the commands, sorted and unique. */
  featLines(context: CommandContext): string[] {
    const lines = new Set<string>();
    for (const spec of this.specs) {
      const line = typeof spec.featLine === 'function' ? spec.featLine(context) : spec.featLine;
      if (line) lines.add(line);
    }
    return [...lines].sort();
  }
}
