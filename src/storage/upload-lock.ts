/**
 * One writer per file: the files that a non-atomic upload of this process has open for writing.
 * Without it two sessions storing the same name at once both got 226 and left an interleaving of
 * both uploads (each wrote its chunks at its own offsets into the one file). vsftpd's default
 * (lock_upload_files) takes an fcntl write lock on an upload file and a shared one on a download;
 * a lock here answers the second writer at once with a transient busy error (450: try again)
 * instead of holding its session waiting for the first upload, however long that takes.
 *
 * Keyed by device and inode, not by path: two accounts reach one file through different virtual
 * paths (and hard links or bind mounts through different real paths), and a file renamed or deleted
 * while it is being written keeps its lock while a new file under the old name does not inherit it.
 * The registry is module-level because every login gets its own LocalStorage.
 *
 * Only writers are locked out. Downloads of a file being uploaded are served with the bytes written
 * so far (as before; a reader that must never see a partial file wants atomic uploads), and DELE
 * and RNFR/RNTO are not refused either. A truncating upload with atomic uploads on writes to a
 * temporary file of its own and takes no lock (the last one to finish wins); APPE and REST + STOR
 * write in place and take it in either mode.
 */
import { StorageError } from './storage.js';

/** Every file open for an in-place upload: "dev:ino" for a file on disk, the node for MemoryStorage. */
const filesBeingWritten = new Set<UploadLockKey>();

/** What identifies one file: a string from diskFileKey, or an object unique to the file. */
export type UploadLockKey = string | object;

/** What the client sees (450): the transient reason, so that it knows to retry. */
const busyMessage = 'File is being uploaded by another session; try again later.';

/** Releases one claim; idempotent, so every end of an upload may call it. */
export type ReleaseUploadLock = () => void;

/**
 * The key of a file on disk, from the fstat of a descriptor open on it. (Node's non-bigint Stats
 * carry inodes as doubles: two inodes above 2^53 that round alike would refuse each other
 * spuriously, never let two writers in.)
 */
export function diskFileKey(stats: { readonly dev: number; readonly ino: number }): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * Claim a file for one upload, or throw StorageError('busy') while another upload holds it. Check
 * and claim are one synchronous step, so two uploads racing through asynchronous opens cannot
 * both win. A Set lookup: nothing measurable per upload.
 */
export function claimUploadLock(file: UploadLockKey): ReleaseUploadLock {
  if (filesBeingWritten.has(file)) throw new StorageError('busy', busyMessage);
  filesBeingWritten.add(file);
  let isHeld = true;
  return () => {
    if (!isHeld) return;
    isHeld = false;
    filesBeingWritten.delete(file);
  };
}

/** For tests: how many files are claimed right now (a leaked claim locks its file forever). */
export function uploadLocksHeld(): number {
  return filesBeingWritten.size;
}
