import { randomBytes } from 'node:crypto';
import { ReplyCode } from '../../protocol/reply-code.js';
import { baseName, childPath, parentPath, type VirtualPath } from '../../protocol/virtual-path.js';
import { StorageError } from '../../storage/storage.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../errors.js';
import { receiveFile } from '../file-transfers.js';
import type { CommandSpec } from './command-spec.js';

/** Pick a name that does not exist yet: the requested one, or it with a numeric suffix. */
async function chooseUniquePath(context: CommandContext, requested: VirtualPath): Promise<VirtualPath> {
  const storage = context.requireAccount().storage;
  const directory = parentPath(requested);
  const base = baseName(requested);
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = attempt === 0 ? requested : childPath(directory, `${base}.${attempt}`);
    try {
      await storage.stat(candidate);
    } catch (error) {
      if (error instanceof StorageError && error.kind === 'not-found') return candidate;
      throw error;
    }
  }
  throw new CommandError(ReplyCode.FileNameNotAllowed, 'Could not find a unique file name.');
}

/** STOU (RFC 959 §4.1.3, RFC 1123 §4.1.2.9): upload under a unique name, told in "150 FILE: name". */
export const stouCommand: CommandSpec = {
  name: 'STOU',
  help: 'STOU [<sp> pathname]',
  argument: 'optional',
  permission: 'write',
  async handle(context, argument) {
    const requested = context.resolvePath(argument || `ferry-${randomBytes(4).toString('hex')}`);
    const path = await chooseUniquePath(context, requested);
    const name = baseName(path);
    // isExclusive: if another session takes the name between the check and the open, fail rather than overwrite.
    await receiveFile(context, path, {
      mode: 'truncate',
      isExclusive: true,
      openingText: `FILE: ${name}`,
      completionText: `Transfer complete (unique file name: ${name}).`,
    });
  },
};
