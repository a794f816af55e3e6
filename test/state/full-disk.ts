/**
 * A real full filesystem for the state tests: a 64 KiB tmpfs mounted on a temp directory, filled up
 * to its last page. Mounting needs root (CAP_SYS_ADMIN); elsewhere {@link mountSmallTmpfs} resolves
 * to `undefined` and the test skips itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode } from '../../src/state/errno.js';

const run = promisify(execFile);

export interface SmallTmpfs {
  readonly dir: string;
  /** Fills every free page, so that the next write of a byte fails with ENOSPC. */
  fill(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallTmpfs(): Promise<SmallTmpfs | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  } catch {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    async fill() {
      // One write larger than the filesystem: it stops with ENOSPC after taking every page.
      await writeFile(path.join(dir, 'filler'), Buffer.alloc(256 * 1024)).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOSPC') throw error;
      });
      await writeFile(path.join(dir, 'probe'), 'x').then(
        () => Promise.reject(new Error('the tmpfs still has room after filling it')),
        (error: unknown) => (errnoCode(error) === 'ENOSPC' ? rm(path.join(dir, 'probe'), { force: true }) : Promise.reject(error)),
      );
    },
    async unmount() {
      // Lazily when busy (a failed test's agent may still hold a file open): a mount never outlives the test.
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
