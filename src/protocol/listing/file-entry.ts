/** One directory entry as both listing formatters and listing parsers see it. */
export type FileType = 'file' | 'directory' | 'symlink' | 'unknown';

/** A directory entry, independent of any wire format. */
export interface FileEntry {
  /** Name within its directory (no slashes). */
  readonly name: string;
  readonly type: FileType;
  /** Size in bytes (0 when unknown). */
  readonly size: number;
  /** Last modification time, when known. */
  readonly modifiedAt?: Date;
  /** Unix permission bits (e.g. 0o644), when known. */
  readonly mode?: number;
  /** Target of a symbolic link, when known. */
  readonly linkTarget?: string;
  /** Owner and group names as shown in listings. */
  readonly owner?: string;
  readonly group?: string;
  /** A stable identifier for the file (RFC 3659 "unique" fact), when known. */
  readonly uniqueId?: string;
}

/** Default permission bits when an entry has none: what a umask of 022 gives. */
export function defaultModeOf(type: FileType): number {
  if (type === 'directory') return 0o755;
  if (type === 'symlink') return 0o777;
  return 0o644;
}

/** Listing order: by name as JavaScript compares strings (UTF-16 code units), like Array.prototype.sort. */
export function compareEntryNames(a: FileEntry, b: FileEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
