/** Named permissions an account can hold; each command declares the one it needs. */
export const allPermissions = ['list', 'read', 'write', 'append', 'delete', 'rename', 'mkdir'] as const;

/** One named permission. */
export type Permission = (typeof allPermissions)[number];

/** The permissions of a read-only account (anonymous by default). */
export const readOnlyPermissions: readonly Permission[] = ['list', 'read'];

/** True when the string names a permission. */
export function isPermission(value: string): value is Permission {
  return (allPermissions as readonly string[]).includes(value);
}
