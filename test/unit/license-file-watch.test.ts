/**
 * The cues that make the agent re-read its license file, with `fs.watch` replaced by a watcher the
 * test drives (as on a filesystem that sends no events, or one whose watch breaks): the periodic
 * check notices a changed file by itself, bursts of events are debounced into one cue, a broken
 * watch is reported and the check carries on, SIGHUP is listened to only when asked, and stopping
 * leaves no listener behind.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchLicenseFile, type LicenseFileCue } from '../../src/agent/license-file-watch.js';

/** The directory watches the module made, each a test-driven emitter standing in for an FSWatcher. */
const watches = vi.hoisted(() => [] as Array<{ dir: string; emitter: import('node:events').EventEmitter; listener: () => void; closed: boolean }>);

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const { EventEmitter: Emitter } = await import('node:events');
  const watch = (dir: string, _options: unknown, listener: () => void) => {
    const emitter = new Emitter();
    const made = { dir, emitter, listener, closed: false };
    watches.push(made);
    return Object.assign(emitter, { close: () => void (made.closed = true) });
  };
  return { ...fs, default: { ...fs, watch }, watch };
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let file: string;
let cues: LicenseFileCue[];
let failures: string[];
let stop: (() => void) | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-watch-'));
  file = path.join(dir, 'license.jwt');
  await writeFile(file, 'first');
  cues = [];
  failures = [];
  watches.length = 0;
});
afterEach(async () => {
  stop?.();
  stop = undefined;
  await rm(dir, { recursive: true, force: true });
});

function start(options: { onSighup?: boolean; pollIntervalMs?: number } = {}): void {
  stop = watchLicenseFile({
    file,
    onCue: (cue) => cues.push(cue),
    onSighup: options.onSighup ?? false,
    onWatchFailed: (code) => failures.push(code),
    debounceMs: 20,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
  });
}

describe('watchLicenseFile', () => {
  it('watches the directory of the file, not the file', () => {
    start();
    expect(watches.map((watch) => watch.dir)).toEqual([dir]);
  });

  it('notices a changed file by its periodic check when no event comes', async () => {
    start({ pollIntervalMs: 50 });
    await sleep(120);
    expect(cues).toEqual([]);

    await writeFile(file, 'second, longer');
    await vi.waitFor(() => expect(cues).toEqual(['change']), { timeout: 1_000 });
    await sleep(150);
    expect(cues).toEqual(['change']);
  });

  it('debounces a burst of directory events into one cue', async () => {
    start();
    for (let i = 0; i < 5; i++) watches[0]!.listener();
    await sleep(80);
    expect(cues).toEqual(['change']);
  });

  it('reports a broken watch, and the periodic check sets up another', async () => {
    start({ pollIntervalMs: 50 });
    watches[0]!.emitter.emit('error', Object.assign(new Error('gone'), { code: 'ENOENT' }));
    expect(failures).toEqual(['ENOENT']);
    expect(watches[0]!.closed).toBe(true);
    await vi.waitFor(() => expect(watches).toHaveLength(2), { timeout: 1_000 });
  });

  it('listens to SIGHUP only when asked, and stops listening when stopped', () => {
    const before = process.listenerCount('SIGHUP');
    start();
    expect(process.listenerCount('SIGHUP')).toBe(before);
    stop?.();

    start({ onSighup: true });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    process.emit('SIGHUP', 'SIGHUP');
    expect(cues).toEqual(['signal']);
    stop?.();
    stop = undefined;
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('gives no cue once stopped, and closes its watch', async () => {
    start({ pollIntervalMs: 30 });
    watches[0]!.listener();
    stop?.();
    stop = undefined;
    await writeFile(file, 'changed after the stop');
    await sleep(120);
    expect(cues).toEqual([]);
    expect(watches.every((watch) => watch.closed)).toBe(true);
  });
});
