/**
 * Reading a small file that another program may have written, with care: never through a symbolic
 * link, never a FIFO or a device, never more than a limit. The license cache reads its files this
 * way because the state directory is shared with SoftClient4ES: what is found there is not trusted.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { errnoCode } from './errno.js';

/** Where it exists (not on Windows), opening never follows a link swapped in after the lstat. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** A small file read with care: its text, or why it was left alone; `undefined` when it does not exist. */
export type SmallFile = { readonly text: string; readonly mtimeMs: number } | { readonly problem: string } | undefined;

/**
 * Reads `file` if it is a regular file of at most `maxBytes`, never reading more than that: a
 * symbolic link (which could point anywhere) or an oversized file is reported, not read.
 *
 * @example
 * ```ts
 * const file = await readSmallFile(statePath, 65_536);
 * if (file && 'text' in file) parse(file.text);
 * ```
 */
export async function readSmallFile(file: string, maxBytes: number): Promise<SmallFile> {
  let info: Stats;
  try {
    info = await lstat(file);
  } catch (error) {
    return errnoCode(error) === 'ENOENT' ? undefined : { problem: `cannot read it (${errnoCode(error)})` };
  }
  if (info.isSymbolicLink()) return { problem: 'it is a symbolic link' };
  // A FIFO or a device would block the open or never end: only regular files are read.
  if (!info.isFile()) return { problem: 'it is not a regular file' };
  if (info.size > maxBytes) return { problem: `it is larger than ${maxBytes} bytes (${info.size} bytes)` };
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      ({ bytesRead: read } = await handle.read(buffer, length, buffer.length - length));
    }
    // It grew after the lstat: still too large, and still not read past the limit.
    if (length > maxBytes) return { problem: `it is larger than ${maxBytes} bytes` };
    return { text: buffer.toString('utf8', 0, length), mtimeMs: Math.floor((await handle.stat()).mtimeMs) };
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    return { problem: code === 'ELOOP' ? 'it is a symbolic link' : `cannot read it (${code})` };
  } finally {
    await handle?.close();
  }
}
