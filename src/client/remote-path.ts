/** Remote (server-side) path joining. FTP paths use "/" (RFC 959 leaves syntax to the server; all servers we target are POSIX-like). */

/** Join a directory path and one entry name with exactly one "/" between them. */
export function joinRemotePath(directory: string, name: string): string {
  if (directory === '') return name;
  return directory.endsWith('/') ? `${directory}${name}` : `${directory}/${name}`;
}
