/**
 * A state dir on a full disk: the agent goes on refreshing from memory, and each refresh leaves the
 * directory as the disk filled up — the cache files as they were, no refresh lock, no temp file.
 * Needs a real full filesystem: a small tmpfs, which only root may mount.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LicenseAgent } from '../../../src/index.js';
import { mountSmallTmpfs, type SmallTmpfs } from '../../state/full-disk.js';
import { CACHE_FILE, sleep, STATE_FILE, useE2E, waitFor, waitForRequests } from '../../e2e/support/harness.js';

const e2e = useE2E();
const API_KEY = 'sk-faults_full_disk_5c2e';

/**
 * The files of `dir` and their text, but the filler and the sent ledger: appends to the ledger go on
 * into the free end of its last page, as they would on any full filesystem.
 */
async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((name) => name !== 'filler' && name !== 'sent.jsonl').sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as const)));
}

/** The refresh lock and temp files: a refresh's own while it runs. */
const isTransient = (name: string) => name === 'refresh.lock' || name.endsWith('.tmp');
const withoutTransient = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([name]) => !isTransient(name)));

describe('a state dir whose disk fills up', () => {
  let tmpfs: SmallTmpfs | undefined;
  let agent: LicenseAgent | undefined;
  beforeEach(async (context) => {
    tmpfs = await mountSmallTmpfs();
    if (!tmpfs) context.skip('mounting a tmpfs needs root');
  });
  afterEach(async () => {
    // Before the unmount: the harness would stop the agent only after this hook.
    await agent?.stop();
    agent = undefined;
    await tmpfs?.unmount();
    tmpfs = undefined;
  });

  it('keeps refreshing and leaves no temp file and no lock behind, the cache files intact', async () => {
    const dir = tmpfs!.dir;
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-full-disk', tier: 'Pro' } } });
    agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '50ms' } });
    await agent.start();
    await waitFor(async () => (await readdir(dir)).includes(STATE_FILE), 5_000, 'the first refresh on disk');
    await tmpfs!.fill();
    // A write that had begun before the disk filled is over by now: what is on disk stays so.
    await sleep(20);
    // A refresh may be under way at this instant, holding the lock or writing a temp file: those
    // are its own, and must be gone once it is over; the cache files must be as they are now.
    const before = withoutTransient(await contents(dir));
    const requests = server.requests.length;
    await waitForRequests(server, requests + 4, 15_000);
    await agent.stop();
    expect(agent.status().lastAttempt?.ok).toBe(true);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([CACHE_FILE, STATE_FILE]));
    const after = await contents(dir);
    expect(Object.keys(after).filter(isTransient)).toEqual([]);
    expect(after).toEqual(before);
  });
});
