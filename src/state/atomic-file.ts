/**
 * Crash-safe file writes and tolerant reads for the state directory. A reader, or a process that
 * starts after a crash or power loss, sees either the old or the new complete file, never a mix.
 */
import { open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LicenseStateDirError } from '../errors.js';
import { randomHex } from '../random.js';
import { errnoCode } from './errno.js';
import { isProcessAlive } from './process-alive.js';

/** Codes with which some platforms refuse to open or fsync a directory (Windows, some FUSE mounts). */
const DIRECTORY_SYNC_REFUSALS = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP']);

/**
 * A fresh temporary name next to `file`: the same directory, so the final `rename` or `link` stays
 * on one filesystem and is atomic; hidden; unique per process and call so writers never collide.
 *
 * @example
 * ```ts
 * tempPathFor('/state/license-cache.jwt'); // '/state/.license-cache.jwt.4242.9f1c2a0b7d3e.tmp'
 * ```
 */
export function tempPathFor(file: string): string {
  const name = `.${path.basename(file)}.${process.pid}.${randomHex(6)}.tmp`;
  return path.join(path.dirname(file), name);
}

/** The pid in a name made by {@link tempPathFor}, or `undefined` for any other name. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * Removes from `dir` the temp files of writes that a killed process never finished (their pid is
 * gone): harmless, but they would pile up, and each may hold a JWT. Never throws.
 */
export async function removeOrphanedTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const pid = TEMP_NAME.exec(name)?.[1];
    if (pid === undefined || isProcessAlive(Number(pid))) return;
    await unlink(path.join(dir, name)).catch(() => undefined);
  }));
}

/**
 * Creates `file` exclusively with mode 0600, writes `data` and flushes it to the disk.
 * Fails with EEXIST when `file` exists; the caller removes a partial file on failure.
 *
 * @example
 * ```ts
 * await writeNewFileDurably(tempPathFor(target), 'hello\n');
 * ```
 */
export async function writeNewFileDurably(file: string, data: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'wx', 0o600);
    await handle.writeFile(data, 'utf8');
    // Without fsync, a rename can reach the disk before the data and leave an empty file after
    // a power loss.
    await handle.sync();
  } finally {
    await handle?.close();
  }
}

/**
 * Makes a rename or link in `dir` durable. Best effort where the platform cannot fsync a directory.
 *
 * @example
 * ```ts
 * await syncDirectory(path.dirname(file));
 * ```
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_REFUSALS.has(errnoCode(error))) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `file` with `data` (utf8, mode 0600) atomically: a temp file in the same directory is
 * written and fsynced, renamed over `file`, then the directory is fsynced.
 *
 * @throws {LicenseStateDirError} when any step fails. `file` then holds its old content (or, if
 * only the final directory fsync failed, the new one), and no temp file is left behind.
 *
 * @example
 * ```ts
 * await writeFileAtomic(path.join(dir, 'license-cache.jwt'), jwt);
 * ```
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = tempPathFor(file);
  try {
    await writeNewFileDurably(temp, data);
    await rename(temp, file);
    await syncDirectory(path.dirname(file));
  } catch (error) {
    await removeQuietly(temp);
    throw new LicenseStateDirError(file, `cannot write ${file} (${errnoCode(error)})`, { cause: error });
  }
}

/**
 * Reads `file` as utf8.
 *
 * @returns the content, or `undefined` when the file does not exist.
 * @throws {LicenseStateDirError} on any other failure (EACCES, EISDIR, EIO, ...).
 *
 * @example
 * ```ts
 * const text = await readFileIfExists(path.join(dir, 'instance-id'));
 * if (text === undefined) { ... first start ... }
 * ```
 */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new LicenseStateDirError(file, `cannot read ${file} (${errnoCode(error)})`, { cause: error });
  }
}

/**
 * Removes `file`, ignoring every error: used to clean up temp files, which may never have been
 * created or may already have been renamed.
 *
 * @example
 * ```ts
 * await removeQuietly(temp);
 * ```
 */
export async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch {
    // Nothing to clean up, or nothing we could do about it.
  }
}
