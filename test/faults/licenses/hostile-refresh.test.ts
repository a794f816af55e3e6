/**
 * Hostile licenses served as refresh results, end to end through the agent: the reference server
 * answers a refresh with a forged, replayed, downgraded, malformed or oversized JWT. Each is
 * rejected like a failed refresh: one `warn` naming the problem, `license()` unchanged (the very
 * same object), never adopted nor announced, and the cache file left byte for byte as it was.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseAgent } from '../../../src/index.js';
import type { LicenseServer } from '../../../src/issuer/index.js';
import { nowSeconds, readCache, sleep, snapshotCache, useE2E, writeCache } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import { HOSTILE_CASES, type HostileCase } from './support/hostile-tokens.js';

const e2e = useE2E();

const API_KEY = 'sk-faults_hostile_key_5d1c';
const SUB = 'lic-hostile';

type Mode = 'static-jwt' | 'api-key';

interface Running {
  readonly server: LicenseServer;
  readonly agent: LicenseAgent;
  readonly dir: string;
  /** The `iat` of the license in force. */
  readonly currentIat: number;
}

/**
 * An agent on a Pro license that an earlier run refreshed and cached: a static JWT (with its cached
 * successor) or an API key's license. Starting it makes no request.
 */
async function runningAgent(mode: Mode): Promise<Running> {
  const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
  const dir = await e2e.tempDir();
  const currentIat = nowSeconds() - 3 * 3_600;
  const refreshUrl = mode === 'static-jwt' ? server.refreshUrl : undefined;
  const cached = await server.mint({ sub: SUB, tier: 'Pro', iat: currentIat, ...(refreshUrl ? { refresh_url: refreshUrl } : {}) });
  await writeCache(dir, { jwt: cached, fetchedAt: Date.now() - 60_000, ...(mode === 'api-key' ? { apiKey: API_KEY } : {}) });
  const common = { stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } };
  const agent = mode === 'api-key'
    ? e2e.agent({ ...common, apiKey: API_KEY, serverUrl: server.url })
    : e2e.agent({ ...common, licenseKey: await server.mint({ sub: SUB, tier: 'Pro', iat: currentIat - 3_600, refresh_url: server.refreshUrl }) });
  await agent.start();
  return { server, agent, dir, currentIat };
}

/** Makes every refresh answer `200 { jwt }`, whatever was asked. */
function answerWith(server: LicenseServer, jwt: string): void {
  server.respondWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) }));
}

/** The refresh cases of `mode`: every case, less the license-id check that only static mode makes. */
function casesOf(mode: Mode): HostileCase[] {
  return HOSTILE_CASES.filter((hostile) => mode === 'static-jwt' || !hostile.staticOnly);
}

describe.each<Mode>(['static-jwt', 'api-key'])('a hostile refresh answer in %s mode', (mode) => {
  // The control: the same path with a genuine upgrade is adopted, so every rejection below is the verifier's.
  it('adopts a genuine upgrade served the same way', async () => {
    const { server, agent, dir, currentIat } = await runningAgent(mode);
    const jwt = await server.mint({ sub: SUB, tier: 'Enterprise', iat: currentIat + 60, ...(mode === 'static-jwt' ? { refresh_url: server.refreshUrl } : {}) });
    answerWith(server, jwt);
    const result = await agent.refreshNow();
    await agent.stop();
    expect(result).toMatchObject({ status: 'refreshed', previousTier: 'Pro', newTier: 'Enterprise' });
    expect(await readCache(dir)).toMatchObject({ jwt });
  });

  it.each(casesOf(mode).map((hostile) => [hostile.name, hostile] as const))(
    'is rejected like a failed refresh: %s',
    async (_name, hostile) => {
      const { server, agent, dir, currentIat } = await runningAgent(mode);
      const jwt = await hostile.build({ server, sub: SUB, currentIat, refreshUrl: mode === 'static-jwt' ? server.refreshUrl : undefined });
      answerWith(server, jwt);
      const license = agent.license();
      expect(license).toMatchObject({ tier: 'Pro', licenseId: SUB });
      const cacheBefore = await snapshotCache(dir);
      const changes: unknown[] = [];
      agent.on('licenseChanged', (next) => changes.push(next));

      const result = await agent.refreshNow();
      // No retry storm: nothing follows the one request the refresh made.
      await sleep(100);
      await agent.stop();

      expect(result).toMatchObject({ status: 'failed', previousTier: 'Pro', newTier: 'Pro' });
      expect(result.message).toMatch(hostile.refreshProblem);
      const failures = e2e.logs.refreshFailures();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ level: WARN, err: { code: expect.stringMatching(/^ERR_LICENSE_/) } });
      expect(failures[0]!.msg).toMatch(hostile.refreshProblem);
      expect(agent.license()).toBe(license);
      expect(changes).toEqual([]);
      expect(server.requests).toHaveLength(1);
      expect(await snapshotCache(dir)).toEqual(cacheBefore);
    },
  );
});
