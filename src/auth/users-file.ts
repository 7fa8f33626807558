/**
 * The users file: YAML listing accounts with scrypt password hashes, so no plain password is ever
 * stored. Validated strictly (an unknown key is an error, since a misspelt `permisions` would
 * otherwise silently grant every permission).
 *
 *   users:
 *     - name: alice
 *       password: scrypt$16384$8$1$...$...
 *       home: ./alice            # relative to this file's directory
 *       permissions: [list, read, write]
 *       requireTls: true
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { allPermissions, isPermission, type Permission } from './permissions.js';
import { isPasswordHash } from './password-hash.js';
import type { AccountDefinition } from './account-authenticator.js';

/** A users file that cannot be read or does not validate; the message names the file, entry and key. */
export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
  readonly code = 'ERR_FTP_USERS_FILE';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const bandwidthSchema = z.strictObject({
  uploadBytesPerSecond: z.number({ error: 'expected a number of bytes per second' }).int('expected a whole number').min(0, 'must not be negative').default(0),
  downloadBytesPerSecond: z.number({ error: 'expected a number of bytes per second' }).int('expected a whole number').min(0, 'must not be negative').default(0),
});

const entrySchema = z.strictObject({
  name: z
    .string({ error: 'expected a user name' })
    .min(1, 'must not be empty')
    .refine((name) => !/[\0-\x1f\x7f]/.test(name), 'must not contain control characters'),
  password: z
    .string({ error: 'expected an scrypt hash' })
    .refine(isPasswordHash, 'expected an scrypt hash (scrypt$N$r$p$salt$hash), never a plain password'),
  home: z.string({ error: 'expected a directory path' }).min(1, 'must not be empty').optional(),
  permissions: z
    .array(
      z.string({ error: `expected one of ${allPermissions.join(', ')}` }).refine(isPermission, {
        error: (issue) => `unknown permission '${String(issue.input)}' (known: ${allPermissions.join(', ')})`,
      }),
      { error: 'expected a list of permissions' },
    )
    .optional(),
  requireTls: z.boolean({ error: 'expected true or false' }).optional(),
  bandwidth: bandwidthSchema.optional(),
});

const usersFileSchema = z
  .strictObject({
    users: z.array(entrySchema, { error: 'expected a list of users' }),
  }, { error: 'expected a mapping with a "users" list' })
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.users.forEach((user, index) => {
      if (seen.has(user.name)) context.addIssue({ code: 'custom', path: ['users', index, 'name'], message: `duplicate user name '${user.name}'` });
      seen.add(user.name);
    });
  });

/** "users[1].permissions[0]" from a zod path. */
function formatPath(segments: readonly PropertyKey[]): string {
  return segments.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
    const where = issue.path.length === 0 ? 'file' : formatPath(issue.path);
    return [`${where}: ${issue.message}`];
  });
}

/**
 * Read and validate a users file. Relative homes are resolved against the file's directory.
 * Throws UsersFileError naming the file and each bad entry and key.
 */
export async function loadUsersFile(filePath: string): Promise<AccountDefinition[]> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsersFileError(`${filePath}: cannot read the users file (${errno})`, [], { cause: error });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsersFileError(`${filePath}: not valid YAML: ${(error as Error).message}`, [], { cause: error });
  }
  const result = usersFileSchema.safeParse(document ?? {});
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new UsersFileError(`${filePath}: ${problems.join(`\n${filePath}: `)}`, problems);
  }
  const directory = path.dirname(path.resolve(filePath));
  return result.data.users.map((user) => ({
    name: user.name,
    passwordHash: user.password,
    ...(user.home === undefined ? {} : { home: path.resolve(directory, user.home) }),
    ...(user.permissions === undefined ? {} : { permissions: user.permissions as Permission[] }),
    ...(user.requireTls === undefined ? {} : { requireTls: user.requireTls }),
    ...(user.bandwidth === undefined ? {} : { bandwidth: user.bandwidth }),
  }));
}
