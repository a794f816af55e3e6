/**
 * Crash safety: a child process refreshing as fast as it can (20 ms interval and refreshNow() in a
 * loop) is killed with SIGKILL at seeded random moments, at least 50 times, and restarted on the
 * same state dir each time. After every kill the cache parses and its JWT verifies against the
 * server's JWKS, the instance id is the first run's, files are 0600 and the dir 0700, and whatever
 * temp files a kill left behind do not keep the next start from working. Replay a run with
 * FAULTS_SEED=<seed>.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_FILE, INSTANCE_ID_FILE, sha256Hex, sleep, STATE_FILE, useE2E, UUID_V4 } from '../../e2e/support/harness.js';
import { seededRandom } from '../../support/random.js';
import { killAll, startFixture, type Fixture } from './support/child.js';

const e2e = useE2E();
const fixtures: Fixture[] = [];
afterEach(() => killAll(fixtures));

const API_KEY = 'sk-faults_crash_key_0c4e';
const SUB = 'lic-crash';
const KILLS = 50;
/** Children loading ahead of their turn: loading (node, tsx, the agent) is most of a cycle. */
const PRELOADED = 2;

/** Every entry of the state dir whose mode is not 0600 (files) or 0700 (the dir), with its mode. */
async function wrongModes(dir: string): Promise<string[]> {
  const wrong: string[] = [];
  const own = (await lstat(dir)).mode & 0o777;
  if (own !== 0o700) wrong.push(`. ${own.toString(8)}`);
  for (const name of await readdir(dir)) {
    const info = await lstat(path.join(dir, name));
    const mode = info.mode & 0o777;
    if (!info.isFile() || mode !== 0o600) wrong.push(`${name} ${info.isFile() ? mode.toString(8) : 'not a file'}`);
  }
  return wrong;
}

describe('a refreshing process killed with SIGKILL', () => {
  it(`leaves a cache that parses and verifies, the same instance id and private files, over ${KILLS} kills`, async () => {
    const startedAt = Date.now();
    const seed = Number(process.env['FAULTS_SEED'] ?? startedAt % 2 ** 31);
    console.log(`crash-safety seed: ${seed} (replay with FAULTS_SEED=${seed})`);
    const random = seededRandom(seed);
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
    const keySet = createLocalJWKSet(server.keys.jwks);
    // Not created beforehand: the agent makes it, with its own mode.
    const dir = path.join(await e2e.tempDir(), 'state');
    const args = [dir, server.url, JSON.stringify(server.keys.jwks), API_KEY];
    // Children load their modules ahead, while the current one runs: only a started child touches the dir.
    const spawnChild = () => {
      const child = startFixture('refresh-loop.ts', args);
      fixtures.push(child);
      return child;
    };
    const ready = Array.from({ length: PRELOADED }, spawnChild);
    let firstId: string | undefined;
    const leftovers = new Set<string>();

    for (let kill = 1; kill <= KILLS; kill++) {
      const child = ready.shift() as Fixture;
      await child.line('loaded', 60_000);
      child.send('go');
      const running = await child.line('running ', 10_000);
      // KILLS children to kill, and one more for the last start.
      if (kill + PRELOADED <= KILLS + 1) ready.push(spawnChild());
      await sleep(20 + Math.floor(random() * 181));
      expect(await child.kill(), `kill ${kill} (seed ${seed})`).toBe('SIGKILL');

      const context = `after kill ${kill} (seed ${seed})`;
      // Each file whole: the JWT alone, verifying; the state JSON. (A kill between the two writes
      // leaves the state describing the previous JWT, which the agent then reads as unknown.)
      const jwt = await readFile(path.join(dir, CACHE_FILE), 'utf8');
      const { payload } = await jwtVerify(jwt, keySet);
      expect(payload, context).toMatchObject({ sub: SUB, tier: expect.stringMatching(/^pro$/i) });
      const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as Record<string, unknown>;
      expect(state, context).toMatchObject({ format: 1, api_key: { license_id: SUB, key_fingerprint: sha256Hex(API_KEY) } });
      const stored = await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8');
      firstId ??= stored.trim();
      expect(firstId, context).toMatch(UUID_V4);
      expect(stored, context).toBe(`${firstId}\n`);
      expect(running, context).toBe(`running ${firstId}`);
      expect(await wrongModes(dir), context).toEqual([]);
      for (const name of await readdir(dir)) if (name.endsWith('.tmp')) leftovers.add(name);
    }

    // One more start on everything the kills left behind.
    const last = ready.shift() as Fixture;
    await last.line('loaded', 60_000);
    last.send('go');
    expect(await last.line('running ', 10_000)).toBe(`running ${firstId}`);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.log(`crash-safety: ${KILLS} kills in ${seconds} s, ${server.requests.length} requests, ${leftovers.size} temp file(s) left behind by kills`);
  }, 180_000);
});
