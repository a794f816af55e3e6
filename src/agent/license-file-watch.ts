/**
 * Noticing that the license file may have changed; what a change means is `license-file-reload.ts`'s
 * job. Three cues, none of which holds the process open:
 * - an `fs.watch` on the file's directory, not on the file: Kubernetes updates a mounted Secret by
 *   writing a new timestamped directory and renaming a `..data_tmp` symbolic link over `..data`, so
 *   the file itself (`license -> ..data/license`) is never written, and a watch on it would follow
 *   the old inode. Bursts of events are debounced into one cue.
 * - a periodic `stat` as the fallback where no event comes (NFS, some overlay filesystems, a
 *   watch that failed): a cue when the file's identity, size or times moved.
 * - `SIGHUP`, when the embedder opted in.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../state/errno.js';

/** How long a burst of directory events must be quiet before the file is re-read. */
export const LICENSE_FILE_DEBOUNCE_MS = 200;
/** How often the file is looked at when no event says it changed. */
export const LICENSE_FILE_POLL_INTERVAL_MS = 60_000;

/** Why the file is worth re-reading: it (or its directory) changed, or the operator sent `SIGHUP`. */
export type LicenseFileCue = 'change' | 'signal';

/** What {@link watchLicenseFile} watches, whom it tells, and how often it looks. */
export interface LicenseFileWatchOptions {
  /** The license file, as an absolute path. */
  readonly file: string;
  readonly onCue: (cue: LicenseFileCue) => void;
  /** Listen to `SIGHUP` as well (the `reloadOnSighup` option). */
  readonly onSighup: boolean;
  /** The directory cannot be watched (the periodic check still runs): told once per watch attempt that fails. */
  readonly onWatchFailed: (code: string) => void;
  /** Default {@link LICENSE_FILE_DEBOUNCE_MS}. */
  readonly debounceMs?: number;
  /** Default {@link LICENSE_FILE_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
}

/** What identifies one version of the file: its inode, size and times (a symlink swap changes the inode). */
async function fingerprint(file: string): Promise<string> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch (error) {
    return `unreadable:${errnoCode(error)}`;
  }
}

/**
 * Watches `file` until the returned function is called, which leaves no watcher, timer or listener.
 *
 * @example
 * ```ts
 * const stop = watchLicenseFile({ file, onCue: (cue) => reload.check(cue), onSighup: false, onWatchFailed: () => {} });
 * stop();
 * ```
 */
export function watchLicenseFile(options: LicenseFileWatchOptions): () => void {
  // Longer than most: one closure over the watch's state (the watcher, the debounce, the last
  // fingerprint) that its cues and its stop share; split up, they would pass all of it around.
  const { file, onCue } = options;
  const debounceMs = options.debounceMs ?? LICENSE_FILE_DEBOUNCE_MS;
  let stopped = false;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let last: string | undefined;

  const cueChange = () => {
    if (stopped) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => onCue('change'), debounceMs);
    debounce.unref();
  };
  const startWatching = () => {
    try {
      watcher = watch(path.dirname(file), { persistent: false }, cueChange);
      // A directory removed or unmounted: fall back to the periodic check, which tries again.
      watcher.on('error', (error) => {
        watcher?.close();
        watcher = undefined;
        options.onWatchFailed(errnoCode(error));
      });
    } catch (error) {
      watcher = undefined;
      options.onWatchFailed(errnoCode(error));
    }
  };
  const poll = async () => {
    const now = await fingerprint(file);
    if (stopped) return;
    if (last !== undefined && now !== last) onCue('change');
    last = now;
    if (watcher === undefined) startWatching();
  };
  const onSignal = () => onCue('signal');

  startWatching();
  void poll();
  const ticker = setInterval(() => void poll(), options.pollIntervalMs ?? LICENSE_FILE_POLL_INTERVAL_MS);
  ticker.unref();
  if (options.onSighup) process.on('SIGHUP', onSignal);

  return () => {
    stopped = true;
    clearInterval(ticker);
    clearTimeout(debounce);
    watcher?.close();
    watcher = undefined;
    if (options.onSighup) process.off('SIGHUP', onSignal);
  };
}
