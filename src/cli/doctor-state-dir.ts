/**
 * `doctor`'s state directory check: can the agent write there, and will what it writes survive a
 * reboot? A tmpfs or the OS temp dir loses the instance id and the license cache at each boot: every
 * boot would then count as a new installation and fetch the license again.
 */
import { readFile, realpath, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tempPathFor, writeNewFileDurably } from '../state/atomic-file.js';
import { errnoCode } from '../state/errno.js';
import { ensureStateDir } from '../state/state-dir.js';
import type { DoctorCheck } from './doctor.js';

/** Filesystems whose content is gone after a reboot. */
const VOLATILE_FILESYSTEMS = new Set(['tmpfs', 'ramfs']);

/** Where {@link checkStateDir} learns about the machine; the defaults are the real ones. */
export interface StateDirEnvironment {
  /** The mount table to read; `/proc/mounts` on Linux, none elsewhere. */
  readonly mountsFile?: string | undefined;
  /** The OS temp dir; `os.tmpdir()` by default. */
  readonly tempDir?: string | undefined;
}

/**
 * Whether the state directory can be created and written (a probe file is written, fsynced and
 * removed), and whether it will survive a reboot (tmpfs, or under the OS temp dir, will not).
 *
 * @example
 * ```ts
 * await checkStateDir('/var/lib/softclient4es'); // { name: 'state dir', ok: true, detail: 'writable: ... (ext4, persistent)' }
 * ```
 */
export async function checkStateDir(dir: string, environment: StateDirEnvironment = {}): Promise<DoctorCheck> {
  const name = 'state dir';
  const probe = tempPathFor(path.join(dir, 'doctor-probe'));
  try {
    await ensureStateDir(dir);
    await writeNewFileDurably(probe, 'probe\n');
    await unlink(probe);
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    return { name, ok: false, detail: `${dir} is not writable (${errnoCode(error)})` };
  }
  const volatility = await volatilityOf(dir, environment);
  const where = volatility.filesystem ? `${dir} (${volatility.filesystem})` : dir;
  if (volatility.reason === undefined) return { name, ok: true, detail: `writable: ${where}, persistent` };
  return {
    name,
    ok: true,
    detail: `writable: ${where}, but it is ${volatility.reason}: the instance id and license cache will not survive a reboot`,
  };
}

async function volatilityOf(
  dir: string,
  environment: StateDirEnvironment,
): Promise<{ filesystem?: string; reason?: string }> {
  const real = await realpath(dir).catch(() => path.resolve(dir));
  const mountsFile = environment.mountsFile ?? (process.platform === 'linux' ? '/proc/mounts' : undefined);
  const filesystem = mountsFile === undefined ? undefined : await filesystemTypeOf(mountsFile, real);
  const base = filesystem ? { filesystem } : {};
  if (filesystem && VOLATILE_FILESYSTEMS.has(filesystem)) return { ...base, reason: `on ${filesystem}` };
  const tempDir = environment.tempDir ?? os.tmpdir();
  const temp = await realpath(tempDir).catch(() => path.resolve(tempDir));
  if (isInside(real, temp)) return { ...base, reason: `under the OS temp dir (${temp})` };
  return base;
}

async function filesystemTypeOf(mountsFile: string, target: string): Promise<string | undefined> {
  try {
    return filesystemTypeAt(await readFile(mountsFile, 'utf8'), target);
  } catch {
    return undefined;
  }
}

/**
 * The filesystem type of the longest mount point in `mounts` (the text of `/proc/mounts`) that
 * contains the absolute path `target`; the last of equal mount points wins, as it hides the others.
 *
 * @example
 * ```ts
 * filesystemTypeAt('/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n', '/tmp/x'); // 'tmpfs'
 * ```
 */
export function filesystemTypeAt(mounts: string, target: string): string | undefined {
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [, rawMountPoint, type] = line.split(' ');
    if (rawMountPoint === undefined || type === undefined) continue;
    // The kernel escapes space, tab, newline and backslash in mount points as octal (`\040`).
    const mountPoint = rawMountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
      String.fromCharCode(Number.parseInt(octal, 8)),
    );
    if (!isInside(target, mountPoint)) continue;
    if (!best || mountPoint.length >= best.mountPoint.length) best = { mountPoint, type };
  }
  return best?.type;
}

function isInside(target: string, parent: string): boolean {
  const relative = path.relative(parent, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
