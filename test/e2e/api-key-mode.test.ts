/**
 * API-key mode end to end: the scheduled fetch, what it sends, what it keeps in memory and on disk,
 * and how the agent starts from what an earlier run left behind.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../src/issuer/index.js';
import { decodeLicenseClaims } from '../../src/issuer/index.js';
import {
  bodyOf,
  credentials,
  gaps,
  readCache,
  readCacheText,
  readStateText,
  sha256Hex,
  sleep,
  useE2E,
  waitFor,
  waitForRequests,
} from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_api_key_7c1d';
const OTHER_KEY = 'sk-e2e_other_key_42aa';
const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'] };
const ENTERPRISE: LicenseTemplate = { sub: 'lic-ent', tier: 'Enterprise', features: ['federation', 'mvs'] };

/** Each answer carries its serial number in `quotas.max_query_results`, readable through `agent.quota()`. */
function stampEachToken(server: Awaited<ReturnType<typeof e2e.server>>, apiKey: string, template: LicenseTemplate): void {
  server.respondWith(() => {
    server.setApiKey(apiKey, { ...template, quotas: { max_query_results: server.requests.length } });
    return undefined;
  });
}

function serialOf(jwt: string): unknown {
  // The issuer writes the result-rows quota as SoftClient4ES does: max_result_rows.
  return (decodeLicenseClaims(jwt)['quotas'] as { max_result_rows?: unknown } | undefined)?.max_result_rows;
}

describe('API-key mode: the scheduled fetch', () => {
  it('fetches at start when there is no cache, then once every interval', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: '300ms', jitter: 0 }, random: () => 0,
    });
    await agent.start();
    expect(server.requests).toHaveLength(1);
    await waitForRequests(server, 4, 5_000);
    await agent.stop();
    const intervals = gaps(server.requests.map((r) => r.receivedAt));
    for (const gap of intervals) {
      expect(gap).toBeGreaterThanOrEqual(290);
      // Only a stuck schedule fails this: a loaded machine delays timers by hundreds of ms, and the
      // exact instants are pinned in simulated time (test/schedule/regular-tick.test.ts).
      expect(gap).toBeLessThan(1_000);
    }
    expect(server.requests.every((r) => r.method === 'POST' && r.path === '/api/v1/licenses/token')).toBe(true);
  });

  it('sends Authorization: Bearer <key> and a body of exactly instance_id, version, uptime_hours and telemetry', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: '24h' },
    });
    await agent.start();
    const [request] = server.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    const body = bodyOf(request!);
    expect(Object.keys(body).sort()).toEqual(['instance_id', 'telemetry', 'uptime_hours', 'version']);
    expect(body['version']).toBe('1.2.3');
    expect(body['instance_id']).toBe(agent.status().instanceId);
    expect(typeof body['uptime_hours']).toBe('number');
    expect(body['uptime_hours']).toBeGreaterThanOrEqual(0);
  });

  it('updates the in-memory license and the disk cache after each successful fetch', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    stampEachToken(server, API_KEY, PRO);
    const dir = await e2e.tempDir();
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks,
      refresh: { interval: '600ms', jitter: 0 }, random: () => 0,
    });
    await agent.start();
    for (const serial of [1, 2, 3]) {
      const cache = await waitFor(async () => {
        const file = await readCache(dir);
        // Two files are written, the JWT first: wait until the state file describes it too.
        return file && serialOf(file.jwt) === serial && file.key_fingerprint !== null ? file : undefined;
      }, 3_000, `cache of answer ${serial}`);
      expect(agent.quota('max_query_results')).toBe(serial);
      expect(agent.license().tier).toBe('Pro');
      expect(cache.license_id).toBe('lic-pro');
      // The agent's record in license-state.json describes this very JWT.
      expect(cache.key_fingerprint).not.toBeNull();
      expect(Date.parse(cache.fetched_at)).toBeGreaterThanOrEqual(server.requests[serial - 1]!.receivedAt);
    }
  });

  it('stores the SHA-256 fingerprint of the API key in the cache, never the key', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const dir = await e2e.tempDir();
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
    });
    await agent.start();
    await agent.stop();
    const text = `${await readCacheText(dir)}\n${await readStateText(dir)}`;
    const cache = await readCache(dir);
    expect(cache?.key_fingerprint).toBe(sha256Hex(API_KEY));
    expect(cache?.key_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(text).not.toContain(API_KEY);
    expect(agent.status().lastRefresh).toBe(cache?.fetched_at);
  });

  it('reads the API key and server URL from the environment when no option sets them', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      env: { SOFTCLIENT4ES_API_KEY: API_KEY, SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url, SOFTCLIENT4ES_HOME: await e2e.tempDir() },
      trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
    });
    await agent.start();
    expect(agent.status().mode).toBe('api-key');
    expect(agent.status().tier).toBe('Pro');
    expect(credentials(server.requests[0]!, 'Bearer')).toBe(API_KEY);
  });
});

describe('API-key mode: start-up', () => {
  it('uses a verified cache fetched with the same API key at once, without a request', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const dir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } };
    const first = e2e.agent(options);
    await first.start();
    await first.stop();
    expect(server.requests).toHaveLength(1);
    // The key's template changes: a fetch would now answer Enterprise, the cache still says Pro.
    server.setApiKey(API_KEY, ENTERPRISE);

    const second = e2e.agent(options);
    await second.start();
    expect(second.status()).toMatchObject({ mode: 'api-key', tier: 'Pro', licenseId: 'lic-pro', state: 'scheduled' });
    expect(second.status().lastRefresh).toBe((await readCache(dir))?.fetched_at);
    await sleep(300);
    expect(server.requests).toHaveLength(1);
  });

  it('fetches at once when the cache was fetched with another API key', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO, [OTHER_KEY]: ENTERPRISE } });
    const dir = await e2e.tempDir();
    const base = { serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } };
    const first = e2e.agent({ ...base, apiKey: API_KEY });
    await first.start();
    await first.stop();

    const second = e2e.agent({ ...base, apiKey: OTHER_KEY });
    await second.start();
    expect(server.requests).toHaveLength(2);
    expect(credentials(server.requests[1]!, 'Bearer')).toBe(OTHER_KEY);
    expect(second.status()).toMatchObject({ tier: 'Enterprise', licenseId: 'lic-ent' });
    await waitFor(async () => (await readCache(dir))?.key_fingerprint === sha256Hex(OTHER_KEY), 2_000, 'cache rewritten with the new key');
  });

  it('uses a configured static JWT that verifies within grace and never calls the API key (SoftClient4ES resolution step 1)', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro' });
    const agent = e2e.agent({
      apiKey: API_KEY, licenseKey, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: '24h' },
    });
    await agent.start();
    expect(server.requests).toHaveLength(0);
    expect(agent.status()).toMatchObject({ mode: 'static-jwt', tier: 'Pro', licenseId: 'lic-static' });
  });

  it('falls back to the API key when the configured static JWT is past its grace period', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const longAgo = Date.now() - 60 * 86_400_000;
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', iat: Math.floor(longAgo / 1000), validFor: 86_400_000 });
    const agent = e2e.agent({
      apiKey: API_KEY, licenseKey, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: '24h' },
    });
    await agent.start();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe('/api/v1/licenses/token');
    expect(credentials(server.requests[0]!, 'Bearer')).toBe(API_KEY);
    expect(agent.status()).toMatchObject({ mode: 'api-key', tier: 'Enterprise', licenseId: 'lic-ent' });
  });

  it('resolves start() after a failed first fetch and backs off about 30 s while it has no license', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    server.respondWith(() => ({ status: 503 }));
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: '24h' },
    });
    const before = Date.now();
    await agent.start();
    const status = agent.status();
    expect(status).toMatchObject({ mode: 'api-key', state: 'firstLicense.retryWait', tier: 'Community' });
    const wait = Date.parse(status.nextRefreshAt ?? '') - before;
    expect(wait).toBeGreaterThanOrEqual(24_000 - 50);
    expect(wait).toBeLessThanOrEqual(30_000 + 1_000);
    await sleep(300);
    expect(server.requests).toHaveLength(1);
  });
});
