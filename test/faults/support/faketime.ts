/**
 * libfaketime, Debian's `LD_PRELOAD` library that shifts a real process's wall clock: installed by
 * the test set-up when absent (`apt-get install libfaketime`, as root), so that a clock set back is
 * tested on a real process and not only on a simulated clock. Only the wall clock moves: the
 * monotonic clock, which Node's timers run on, is left alone, as after a VM restore.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** Makes sure libfaketime is installed; throws a clear error when it cannot be. */
export function ensureFaketime(): void {
  if (existsSync(LIBRARY)) return;
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'libfaketime'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    install();
  } catch {
    try {
      execFileSync('apt-get', ['update'], { stdio: 'ignore' });
      install();
    } catch (error) {
      throw new Error(`libfaketime is not installed and could not be (apt-get install libfaketime, as root): ${(error as Error).message}`);
    }
  }
  if (!existsSync(LIBRARY)) throw new Error(`libfaketime installed, but ${LIBRARY} is missing`);
}

/** The environment that shifts a child's wall clock by `offset` (`-1d`, `+3h`), from its start. */
export function faketimeEnv(offset: string): Record<string, string> {
  return { LD_PRELOAD: LIBRARY, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1' };
}
