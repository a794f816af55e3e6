/**
 * An advisory lock that lets the processes sharing one state directory (the workers of one server)
 * refresh the license one at a time: `<stateDir>/refresh.lock` holds its owner's pid, host, a
 * random token and an expiry. A lock past its expiry, held by a process of this host that no longer
 * exists, or left without a record for seconds, is stale and may be taken over. Advisory only: it
 * saves requests, and nothing breaks if two processes do refresh at once.
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomHex } from '../random.js';
import { removeQuietly, tempPathFor } from './atomic-file.js';
import { isProcessAlive } from './process-alive.js';

export const REFRESH_LOCK_FILE = 'refresh.lock';

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  /** When the owner process started: a restarted container reuses pid 1 and its host name. */
  readonly processStart: number;
  readonly token: string;
  readonly expiresAt: number;
}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * A lock file that holds no lock record. A lock is empty between its exclusive creation and its
 * write, so a peer reading it then must not take it for stale; only one left so for longer than
 * {@link TORN_LOCK_GRACE_MS} (its writer died in between, and its pid is unknown) is.
 */
interface TornLock {
  readonly modifiedAt: number;
}

/**
 * How long a lock may stay without its record: its write follows its creation at once, so seconds
 * mean its writer is gone. Peers then wait this long, not a whole TTL, before refreshing.
 */
const TORN_LOCK_GRACE_MS = 5_000;

/** The lock file's record; a {@link TornLock}; or `undefined` when there is none to respect. */
async function readLock(file: string): Promise<LockRecord | TornLock | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as Partial<LockRecord>;
    if (typeof record.pid === 'number' && typeof record.token === 'string' && typeof record.expiresAt === 'number'
      && typeof record.processStart === 'number') return record as LockRecord;
  } catch {
    // Not JSON yet, or no longer: a torn lock, below.
  }
  try {
    return { modifiedAt: (await stat(file)).mtimeMs };
  } catch {
    return undefined;
  }
}

function tokenOf(lock: LockRecord | TornLock | undefined): string | undefined {
  return lock && 'token' in lock ? lock.token : undefined;
}

/** This process's start, to the second: stable for its life, different for its successor. */
const PROCESS_START = Math.round((Date.now() - process.uptime() * 1000) / 1000) * 1000;

function isStale(lock: LockRecord | TornLock | undefined, now: number, ttlMs: number): boolean {
  if (!lock) return true;
  if (!('token' in lock)) return now - lock.modifiedAt >= Math.min(ttlMs, TORN_LOCK_GRACE_MS);
  if (lock.expiresAt <= now) return true;
  if (lock.host !== os.hostname()) return false;
  // Our own pid: another agent of this process holds it, unless it was an earlier process's (a
  // container restarted as pid 1 again).
  if (lock.pid === process.pid) return Math.abs(lock.processStart - PROCESS_START) > 1_000;
  return !isProcessAlive(lock.pid);
}

/**
 * Creates `file` with `data`; `false` when it exists. A failed write (ENOSPC on a full disk) removes
 * the file it created: an empty lock would read as stale, and an empty temp file would stay until
 * the next start, one per refresh. The file is ours to remove, since `wx` created it.
 */
async function writeExclusive(file: string, data: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(data);
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(file);
    throw error;
  }
  return true;
}

/**
 * Replaces a stale lock with `data` through a rename, so no reader sees a half-written lock. The
 * temp file is removed whatever fails; after a rename it is gone already.
 */
async function replaceStale(file: string, data: string): Promise<void> {
  const temp = tempPathFor(file);
  try {
    await writeExclusive(temp, data);
    await rename(temp, file);
  } finally {
    await removeQuietly(temp);
  }
}

/**
 * Tries to take the refresh lock of `dir` for `ttlMs`. Resolves to the held lock, or `undefined`
 * when another live process holds it. Throws only for disk trouble (the caller then refreshes
 * without coordination).
 */
export async function tryAcquireRefreshLock(dir: string, now: number, ttlMs: number): Promise<HeldLock | undefined> {
  const file = path.join(dir, REFRESH_LOCK_FILE);
  const mine: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    processStart: PROCESS_START,
    token: randomHex(8),
    expiresAt: now + ttlMs,
  };
  const data = JSON.stringify(mine);
  if (!(await writeExclusive(file, data))) {
    if (!isStale(await readLock(file), now, ttlMs)) return undefined;
    // Take over through a rename, then read back: of two processes taking over at once, the one
    // whose token is in the file holds the lock.
    await replaceStale(file, data);
    if (tokenOf(await readLock(file)) !== mine.token) return undefined;
  }
  return {
    async release() {
      if (tokenOf(await readLock(file)) === mine.token) await unlink(file).catch(() => undefined);
    },
  };
}
