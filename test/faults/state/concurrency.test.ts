/**
 * Concurrency on one state dir: sixteen processes started at once on an empty dir agree on one
 * instance id; two agents of one process refreshing at once never leave a cache file a reader
 * cannot parse, and end on a valid one. (Eight workers taking turns at the license server are
 * test/e2e/shared-state-dir.test.ts.)
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { LicenseAgent } from '../../../src/index.js';
import { INSTANCE_ID_FILE, readCacheText, readStateText, sha256Hex, sleep, useE2E, UUID_V4, waitFor } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import { killAll, startFixture, type Fixture } from './support/child.js';

const e2e = useE2E();
const fixtures: Fixture[] = [];
afterEach(() => killAll(fixtures));

const PROCESSES = 16;
const API_KEY = 'sk-faults_concurrency_key_e93a';
const SUB = 'lic-concurrency';

describe('processes starting at once on an empty state dir', () => {
  it(`give all ${PROCESSES} the same instance id, stored once, without a warning`, async () => {
    // Not created beforehand: the processes race to create the dir too.
    const dir = path.join(await e2e.tempDir(), 'state');
    const children = Array.from({ length: PROCESSES }, () => startFixture('start-and-print-id.ts', [dir]));
    fixtures.push(...children);
    await Promise.all(children.map((child) => child.line('ready', 60_000)));

    for (const child of children) child.send('go');
    const lines = await Promise.all(children.map((child) => child.line('id ', 20_000)));
    const codes = await Promise.all(children.map((child) => child.exited));

    const ids = lines.map((line) => line.slice('id '.length));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(UUID_V4);
    expect(await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8')).toBe(`${ids[0]}\n`);
    expect(codes).toEqual(Array.from({ length: PROCESSES }, () => 0));
    expect(children.map((child) => child.stderr())).toEqual(Array.from({ length: PROCESSES }, () => ''));
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 90_000);
});

describe('two agents in one process sharing a state dir', () => {
  it('never leave a cache file that is not whole while both refresh, and end on a valid one', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
    const dir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '20ms' } };
    const agents = [e2e.agent(options), e2e.agent(options)];
    await Promise.all(agents.map((agent) => agent.start()));
    await waitFor(() => readStateText(dir), 5_000, 'the first cache write');

    let running = true;
    // REFRESH LICENSE bypasses the turn-taking: both agents write whenever they like.
    const hammer = async (agent: LicenseAgent) => {
      while (running) await agent.refreshNow();
    };
    const hammering = Promise.all(agents.map(hammer));
    const unparsable: string[] = [];
    const seen = new Set<string>();
    // The server mints one token per second (its iat), so three distinct ones take over two seconds:
    // read for 2 s at least, and on a loaded machine until the third shows up (6 s at most).
    const until = Date.now() + 2_000;
    const deadline = Date.now() + 6_000;
    while ((Date.now() < until || seen.size < 3) && Date.now() < deadline) {
      // license-cache.jwt must be a whole JWT (three parts, a JSON payload); license-state.json whole JSON.
      const jwt = await readCacheText(dir);
      const state = await readStateText(dir);
      try {
        const [, payload, signature] = (jwt ?? '').split('.');
        JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
        if (!signature) throw new Error('no signature');
        JSON.parse(state ?? '');
        seen.add(jwt as string);
      } catch {
        unparsable.push(`${jwt ?? '(missing)'} | ${state ?? '(missing)'}`);
      }
      await sleep(1);
    }
    running = false;
    await hammering;
    const requests = server.requests.length;
    await Promise.all(agents.map((agent) => agent.stop()));

    expect(unparsable).toEqual([]);
    // The reads saw the file change under them, again and again.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(requests).toBeGreaterThanOrEqual(10);
    const state = JSON.parse((await readStateText(dir)) ?? '') as Record<string, unknown>;
    expect(state).toMatchObject({ format: 1, api_key: { license_id: SUB, key_fingerprint: sha256Hex(API_KEY) } });
    const { payload } = await jwtVerify((await readCacheText(dir)) ?? '', createLocalJWKSet(server.keys.jwks));
    expect(payload).toMatchObject({ sub: SUB, tier: expect.stringMatching(/^pro$/i) });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const trouble = e2e.logs.lines.filter((line) => line.level >= WARN && !/under 1 minute/.test(line.msg));
    expect(trouble.map((line) => line.msg)).toEqual([]);
  });
});

