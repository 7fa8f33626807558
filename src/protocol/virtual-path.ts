/**
 * FTP path algebra on virtual paths: POSIX-style, always absolute, never above "/".
 * A virtual path is what the client sees; only storage back-ends map it to anything real.
 */

/** An absolute, normalised virtual path ("/", "/a/b"). Branded so real paths cannot be passed by mistake. */
export type VirtualPath = string & { readonly __brand: 'VirtualPath' };

/** The root of every account's tree. */
export const rootPath = '/' as VirtualPath;

/**
 * Resolve a client-supplied path against the current directory. "." and ".." segments are applied,
 * ".." at the root stays at the root, repeated slashes collapse, and backslashes are ordinary name
 * characters (as on a Unix server). NUL is refused by returning null.
 */
export function resolveVirtualPath(cwd: VirtualPath, input: string): VirtualPath | null {
  if (input.includes('\0')) return null;
  const base = input.startsWith('/') ? [] : splitSegments(cwd);
  for (const segment of input.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') base.pop();
    else base.push(segment);
  }
  return joinSegments(base);
}

/** Normalise an absolute path (same rules as resolving against "/"). */
export function normalizeVirtualPath(input: string): VirtualPath {
  return resolveVirtualPath(rootPath, input) ?? rootPath;
}

/** Path segments of a virtual path ("/a/b" → ["a", "b"]). */
export function splitSegments(path: VirtualPath): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

/** Build a virtual path from segments. */
export function joinSegments(segments: readonly string[]): VirtualPath {
  return ('/' + segments.join('/')) as VirtualPath;
}

/** Parent directory ("/" is its own parent). */
export function parentPath(path: VirtualPath): VirtualPath {
  return joinSegments(splitSegments(path).slice(0, -1));
}

/** Last segment ("" for the root). */
export function baseName(path: VirtualPath): string {
  const segments = splitSegments(path);
  return segments[segments.length - 1] ?? '';
}

/** Join a child name onto a directory path. */
export function childPath(directory: VirtualPath, name: string): VirtualPath {
  return joinSegments([...splitSegments(directory), name]);
}

/** Quote a path for a 257 reply (RFC 959 Appendix II: embedded quotes are doubled). */
export function quotePathForReply(path: string): string {
  return `"${path.replace(/"/g, '""')}"`;
}

/** Parse the path from a 257 reply text ("\"/a \"\"b\"\"\" created" → "/a \"b\""). */
export function parseQuotedPath(text: string): string | null {
  const start = text.indexOf('"');
  if (start === -1) return null;
  let result = '';
  for (let index = start + 1; index < text.length; index++) {
    const character = text[index]!;
    if (character === '"') {
      if (text[index + 1] === '"') {
        result += '"';
        index++;
      } else {
        return result;
      }
    } else {
      result += character;
    }
  }
  return null;
}
