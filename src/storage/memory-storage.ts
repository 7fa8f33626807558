/**
 * Storage held in memory: the same contract as LocalStorage (the shared contract suite proves it),
 * for tests and for embedding a server that needs no disk. Contents are kept as Buffer chunks, so
 * appending is cheap and a reader streams a snapshot without copying the whole file.
 */
import { Readable, Writable } from 'node:stream';
import { splitSegments, type VirtualPath } from '../protocol/virtual-path.js';
import { createStorageError, StorageError, type FileStat, type ReadOptions, type Storage, type StorageErrorKind, type UploadTarget, type DownloadSource, type WriteOptions } from './storage.js';
import { claimUploadLock } from './upload-lock.js';

interface FileNode {
  readonly type: 'file';
  readonly id: number;
  chunks: Buffer[];
  size: number;
  mode: number;
  modifiedAt: Date;
}

interface DirectoryNode {
  readonly type: 'directory';
  readonly id: number;
  readonly children: Map<string, Node>;
  mode: number;
  modifiedAt: Date;
}

type Node = FileNode | DirectoryNode;

function fail(kind: StorageErrorKind): never {
  throw createStorageError(kind);
}

const readChunkBytes = 256 * 1024;

/** The first `length` bytes of a chunk list, zero-filled past its end. */
function prefixOf(chunks: readonly Buffer[], size: number, length: number): Buffer[] {
  const result: Buffer[] = [];
  let remaining = Math.min(length, size);
  for (const chunk of chunks) {
    if (remaining === 0) break;
    const part = chunk.length <= remaining ? chunk : chunk.subarray(0, remaining);
    result.push(part);
    remaining -= part.length;
  }
  if (length > size) result.push(Buffer.alloc(length - size));
  return result;
}

/** A Storage whose whole tree lives in memory; starts as an empty root directory. */
export class MemoryStorage implements Storage {
  #nextId = 1;
  readonly #root: DirectoryNode = this.#newDirectory();

  #newDirectory(): DirectoryNode {
    return { type: 'directory', id: this.#nextId++, children: new Map(), mode: 0o755, modifiedAt: new Date() };
  }

  #segmentsOf(path: VirtualPath): string[] {
    if (typeof path !== 'string' || !path.startsWith('/')) fail('invalid-name');
    const segments = splitSegments(path);
    // Same refusals as LocalStorage so the two back-ends cannot disagree on a cast string.
    if (segments.some((segment) => segment === '.' || segment === '..')) fail('permission-denied');
    if (segments.some((segment) => segment.includes('\0'))) fail('invalid-name');
    return segments;
  }

  /** The node at a path; not-found or not-a-directory (a file in the middle) like the kernel. */
  #lookup(segments: readonly string[]): Node {
    let node: Node = this.#root;
    for (const segment of segments) {
      if (node.type !== 'directory') fail('not-a-directory');
      const child: Node | undefined = node.children.get(segment);
      if (child === undefined) fail('not-found');
      node = child;
    }
    return node;
  }

  /** The directory that holds the last segment, and that segment. */
  #parentOf(segments: readonly string[]): { parent: DirectoryNode; name: string } {
    if (segments.length === 0) fail('permission-denied');
    const parent = this.#lookup(segments.slice(0, -1));
    if (parent.type !== 'directory') fail('not-a-directory');
    return { parent, name: segments[segments.length - 1]! };
  }

  #toFileStat(name: string, node: Node): FileStat {
    return {
      name,
      type: node.type,
      size: node.type === 'file' ? node.size : 0,
      modifiedAt: new Date(node.modifiedAt.getTime()),
      mode: node.mode,
      owner: 'ftp',
      group: 'ftp',
      uniqueId: node.id.toString(16),
    };
  }

  /** Metadata of a path; the root's name is "/". */
  async stat(path: VirtualPath): Promise<FileStat> {
    const segments = this.#segmentsOf(path);
    return this.#toFileStat(segments[segments.length - 1] ?? '/', this.#lookup(segments));
  }

  /** Entries of a directory; not-a-directory for a file. */
  async list(path: VirtualPath): Promise<FileStat[]> {
    const node = this.#lookup(this.#segmentsOf(path));
    if (node.type !== 'directory') fail('not-a-directory');
    return [...node.children].map(([name, child]) => this.#toFileStat(name, child));
  }

  /** Stream a snapshot of the file from `start`; later writes do not change an open read. */
  async openRead(path: VirtualPath, options: ReadOptions = {}): Promise<DownloadSource> {
    const start = options.start ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('start must be a non-negative integer');
    const node = this.#lookup(this.#segmentsOf(path));
    if (node.type !== 'file') fail('is-a-directory');
    const chunks = [...node.chunks];
    function* pieces(): Generator<Buffer> {
      let skip = start;
      for (let chunk of chunks) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        chunk = chunk.subarray(skip);
        skip = 0;
        for (let offset = 0; offset < chunk.length; offset += readChunkBytes) yield chunk.subarray(offset, offset + readChunkBytes);
      }
    }
    const size = chunks.reduce((total, chunk) => total + chunk.length, 0);
    const stream = Readable.from(pieces(), { objectMode: false });
    return { stream, size, discard: () => stream.destroy() };
  }

  /**
   * Open a file for writing with the same semantics as LocalStorage: created or truncated at open,
   * append, or cut at { offset } (zero-filled if shorter) and written from there. Data is visible
   * as it arrives; a destroyed stream keeps what was written (the non-atomic behaviour). The file
   * node is the upload lock's key (upload-lock.ts): until the stream finished or was destroyed,
   * another openWrite of it is refused with busy, before it could truncate anything.
   */
  async openWrite(path: VirtualPath, options: WriteOptions): Promise<UploadTarget> {
    const mode = options.mode;
    if (typeof mode === 'object' && (!Number.isSafeInteger(mode.offset) || mode.offset < 0)) {
      throw new RangeError('offset must be a non-negative integer');
    }
    const segments = this.#segmentsOf(path);
    if (segments.length === 0) fail('is-a-directory');
    const { parent, name } = this.#parentOf(segments);
    let node = parent.children.get(name);
    if (node !== undefined && options.isExclusive) fail('already-exists');
    if (node?.type === 'directory') fail('is-a-directory');
    if (node === undefined) {
      node = { type: 'file', id: this.#nextId++, chunks: [], size: 0, mode: 0o644, modifiedAt: new Date() };
      parent.children.set(name, node);
      parent.modifiedAt = new Date();
    }
    const file = node;
    const releaseLock = claimUploadLock(file);
    if (mode === 'truncate') {
      file.chunks = [];
      file.size = 0;
    } else if (typeof mode === 'object') {
      file.chunks = prefixOf(file.chunks, file.size, mode.offset);
      file.size = mode.offset;
    }
    file.modifiedAt = new Date();
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        // Copy: the caller may reuse its buffer, and stored chunks must never change.
        file.chunks.push(Buffer.from(chunk));
        file.size += chunk.length;
        file.modifiedAt = new Date();
        callback();
      },
      // Released before 'finish' (so a next upload may start as soon as this one counts as done),
      // and on destroy for every other ending; releasing twice is harmless.
      final(callback) {
        releaseLock();
        callback();
      },
      destroy(error, callback) {
        releaseLock();
        callback(error);
      },
    });
    return { stream };
  }

  /** Remove a file; is-a-directory for a directory. */
  async deleteFile(path: VirtualPath): Promise<void> {
    const { parent, name } = this.#parentOf(this.#segmentsOf(path));
    const node = parent.children.get(name);
    if (node === undefined) fail('not-found');
    if (node.type === 'directory') fail('is-a-directory');
    parent.children.delete(name);
    parent.modifiedAt = new Date();
  }

  /** Create one directory; the parent must exist. */
  async makeDirectory(path: VirtualPath): Promise<void> {
    const segments = this.#segmentsOf(path);
    if (segments.length === 0) fail('already-exists');
    const { parent, name } = this.#parentOf(segments);
    if (parent.children.has(name)) fail('already-exists');
    parent.children.set(name, this.#newDirectory());
    parent.modifiedAt = new Date();
  }

  /** Remove an empty directory; the root can never be removed. */
  async removeDirectory(path: VirtualPath): Promise<void> {
    const { parent, name } = this.#parentOf(this.#segmentsOf(path));
    const node = parent.children.get(name);
    if (node === undefined) fail('not-found');
    if (node.type !== 'directory') fail('not-a-directory');
    if (node.children.size > 0) fail('directory-not-empty');
    parent.children.delete(name);
    parent.modifiedAt = new Date();
  }

  /** Rename or move, with POSIX rename(2) rules for an existing target. */
  async rename(from: VirtualPath, to: VirtualPath): Promise<void> {
    const fromSegments = this.#segmentsOf(from);
    const toSegments = this.#segmentsOf(to);
    const source = this.#parentOf(fromSegments);
    const target = this.#parentOf(toSegments);
    const node = source.parent.children.get(source.name);
    if (node === undefined) fail('not-found');
    const existing = target.parent.children.get(target.name);
    if (existing === node) return;
    if (node.type === 'directory' && fromSegments.every((segment, index) => toSegments[index] === segment)) {
      fail('invalid-name'); // a directory cannot move into itself (EINVAL)
    }
    if (existing !== undefined) {
      if (node.type === 'directory' && existing.type !== 'directory') fail('not-a-directory');
      if (node.type !== 'directory' && existing.type === 'directory') fail('is-a-directory');
      if (existing.type === 'directory' && existing.children.size > 0) fail('directory-not-empty');
    }
    source.parent.children.delete(source.name);
    target.parent.children.set(target.name, node);
    source.parent.modifiedAt = target.parent.modifiedAt = new Date();
  }

  /** Set the modification time. */
  async setModificationTime(path: VirtualPath, modifiedAt: Date): Promise<void> {
    this.#lookup(this.#segmentsOf(path)).modifiedAt = new Date(modifiedAt.getTime());
  }

  /** Change the permission bits (masked to 0o7777); they are recorded, not enforced. */
  async changeMode(path: VirtualPath, mode: number): Promise<void> {
    this.#lookup(this.#segmentsOf(path)).mode = mode & 0o7777;
  }
}
