/**
 * The refresh lock on a full disk: taking it fails (the caller then refreshes without coordination),
 * and leaves the state dir as it was — no empty `refresh.lock`, no `.refresh.lock.*.tmp`, the cache
 * files and a stale lock untouched. Run on a real full tmpfs where the test may mount one, and with
 * a write that fails with ENOSPC injected into the module everywhere else. And a lock file that holds
 * no record yet: respected while its writer may still be writing it, taken over seconds later.
 */
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REFRESH_LOCK_FILE, tryAcquireRefreshLock } from '../../src/state/refresh-lock.js';
import { mountSmallTmpfs, type SmallTmpfs } from './full-disk.js';
import { useTempDir } from './helpers.js';

const failingWrites = vi.hoisted(() => ({ enabled: false }));

// A file handle whose writes fail as on a full disk: `open` still creates the file, as a full disk does.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (...args) => {
    const handle = await fs.open(...args);
    if (!failingWrites.enabled) return handle;
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return Object.assign(Object.create(handle) as typeof handle, {
      writeFile: () => Promise.reject(enospc),
      close: () => handle.close(),
    });
  };
  return { ...fs, open, default: { ...fs, open } };
});

const TTL_MS = 60_000;
const NOW = 1_800_000_000_000;
const CACHE = { 'license-cache.jwt': 'eyJ.cached.jwt\n', 'license-state.json': '{"format":1}\n' };
/** A lock of a process on another host, expired an hour ago: stale, so the next taker replaces it. */
const STALE_LOCK = JSON.stringify({ pid: 4242, host: 'elsewhere', processStart: 0, token: 'ab', expiresAt: NOW - 3_600_000 });

async function plantFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text, { mode: 0o600 });
}

async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((name) => name !== 'filler').sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as const)));
}

/** The scenarios, for a directory whose next write fails with ENOSPC once `fill` has run. */
function fullDiskScenarios(dir: () => string, fill: () => Promise<void>): void {
  it('fails with ENOSPC and leaves no lock and no temp file when none was held', async () => {
    await plantFiles(dir(), CACHE);
    await fill();
    await expect(tryAcquireRefreshLock(dir(), NOW, TTL_MS)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await contents(dir())).toEqual(CACHE);
  });

  it('fails with ENOSPC taking over a stale lock, and keeps that lock and no temp file', async () => {
    await plantFiles(dir(), { ...CACHE, [REFRESH_LOCK_FILE]: STALE_LOCK });
    await fill();
    for (let refresh = 0; refresh < 3; refresh++) {
      await expect(tryAcquireRefreshLock(dir(), NOW, TTL_MS)).rejects.toMatchObject({ code: 'ENOSPC' });
    }
    expect(await contents(dir())).toEqual({ ...CACHE, [REFRESH_LOCK_FILE]: STALE_LOCK });
  });
}

describe('the refresh lock on a real full filesystem', () => {
  let tmpfs: SmallTmpfs | undefined;
  beforeEach(async (context) => {
    tmpfs = await mountSmallTmpfs();
    if (!tmpfs) context.skip('mounting a tmpfs needs root');
  });
  afterEach(async () => {
    await tmpfs?.unmount();
    tmpfs = undefined;
  });
  fullDiskScenarios(() => tmpfs!.dir, () => tmpfs!.fill());
});

describe('the refresh lock when its writes fail with ENOSPC', () => {
  const tempDir = useTempDir();
  afterEach(() => {
    failingWrites.enabled = false;
  });
  fullDiskScenarios(tempDir, async () => {
    failingWrites.enabled = true;
  });

  it('removes its temp file when the rename over a stale lock fails', async () => {
    // A directory where the lock should be reads as no lock (stale), and no file can be renamed over it.
    await mkdir(path.join(tempDir(), REFRESH_LOCK_FILE, 'inside'), { recursive: true });
    await expect(tryAcquireRefreshLock(tempDir(), NOW, TTL_MS)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect(await readdir(tempDir())).toEqual([REFRESH_LOCK_FILE]);
  });

  it('takes and releases the lock once the disk has room again', async () => {
    const held = await tryAcquireRefreshLock(tempDir(), NOW, TTL_MS);
    expect(held).toBeDefined();
    expect(await readdir(tempDir())).toEqual([REFRESH_LOCK_FILE]);
    await held?.release();
    expect(await readdir(tempDir())).toEqual([]);
  });
});

describe('a lock file that holds no record yet', () => {
  const tempDir = useTempDir();

  // Between the exclusive create and the write of its record, a lock is an empty file: a peer
  // that took that for stale would take the lock over, and both would refresh at once.
  it('is respected while it is seconds young: the lock is being written', async () => {
    await writeFile(path.join(tempDir(), REFRESH_LOCK_FILE), '');
    expect(await tryAcquireRefreshLock(tempDir(), Date.now(), TTL_MS)).toBeUndefined();
    expect(await readFile(path.join(tempDir(), REFRESH_LOCK_FILE), 'utf8')).toBe('');
  });

  it('is taken over once it is 5 s old, long before the TTL: its writer died before writing it', async () => {
    const file = path.join(tempDir(), REFRESH_LOCK_FILE);
    await writeFile(file, '{"pid":');
    const longAgo = new Date(Date.now() - 6_000);
    await utimes(file, longAgo, longAgo);
    const held = await tryAcquireRefreshLock(tempDir(), Date.now(), TTL_MS);
    expect(held).toBeDefined();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
    await held?.release();
    expect(await readdir(tempDir())).toEqual([]);
  });
});
