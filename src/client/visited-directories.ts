/**
 * Loop and alias detection for recursive walks of a remote tree (rm -r, mirror), after RFC 3659
 * §7.5.2: the `unique` fact names a file whatever path reached it. A directory whose unique was
 * already seen in the same walk — an ancestor (a loop such as `d/up -> ..`) or any other directory
 * (two links to one directory, a link to a directory inside the tree) — must not be entered again:
 * a loop never ends, and an alias would be copied or deleted twice. pyftpdlib's MLSD lists a
 * symbolic link to a directory as `type=dir` with its target's unique, so a repeated unique is the
 * only trace such a link leaves in its listings.
 */

/** The directories one walk has entered, by their RFC 3659 `unique` fact. */
export class VisitedDirectories {
  readonly #pathByUniqueId = new Map<string, string>();

  /**
   * Record that the walk enters `path`. Returns null when it may: its unique is new, or unknown
   * (without the fact nothing tells two directories apart). Otherwise returns the path first
   * entered under the same unique, and the walk must not descend.
   */
  enter(uniqueId: string | undefined, path: string): string | null {
    if (uniqueId === undefined || uniqueId === '') return null;
    const firstPath = this.#pathByUniqueId.get(uniqueId);
    if (firstPath !== undefined) return firstPath;
    this.#pathByUniqueId.set(uniqueId, path);
    return null;
  }
}
