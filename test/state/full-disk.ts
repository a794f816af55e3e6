/**
 * A real full filesystem for the state tests: a 64 KiB tmpfs mounted on a temp directory, filled up
 * to its last page. Mounting needs root (CAP_SYS_ADMIN); elsewhere {@link mountSmallTmpfs} resolves
 * to `undefined` and the test skips itself.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
      const filler = path.join(dir, 'filler');
      const probe = path.join(dir, 'probe');
      // A running agent may free a page while we fill (a rename replacing a cache file): take pages
      // until a one-byte probe finds none left, rather than trusting one pass.
      for (let round = 0; round < 20; round++) {
        // A write larger than the filesystem: it stops with ENOSPC after taking every free page.
        await appendFile(filler, Buffer.alloc(256 * 1024)).catch((error: unknown) => {
          if (errnoCode(error) !== 'ENOSPC') throw error;
        });
        const full = await writeFile(probe, 'x').then(
          () => false,
          (error: unknown) => (errnoCode(error) === 'ENOSPC' ? true : Promise.reject(error)),
        );
        await rm(probe, { force: true });
        if (full) return;
      }
      throw new Error('the tmpfs still has room after filling it 20 times');
    },
    async unmount() {
      // Lazily when busy (a failed test's agent may still hold a file open): a mount never outlives the test.
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
