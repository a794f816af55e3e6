/**
 * The schedule survives restarts: the next regular refresh is due one interval after the last
 * successful one, as persisted in the cache, or at once when that is past.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseAgentOptions } from '../../src/index.js';
import { readCache, useE2E, waitForRequests, writeCache } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_restart_key_2b77';
const INTERVAL_MS = 1_200;

describe('schedule across restarts', () => {
  it('makes no request at start and refreshes at fetched_at + interval after a restart', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const dir = await e2e.tempDir();
    const options: Partial<LicenseAgentOptions> = {
      apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    };
    const previous = e2e.agent(options);
    await previous.start();
    await previous.stop();
    const fetchedAt = Date.parse((await readCache(dir))!.fetched_at);

    const restarted = e2e.agent(options);
    await restarted.start();
    expect(server.requests).toHaveLength(1);
    expect(restarted.status().nextRefreshAt).toBe(new Date(fetchedAt + INTERVAL_MS).toISOString());
    await waitForRequests(server, 2, INTERVAL_MS + 2_000);
    const delay = server.requests[1]!.receivedAt - fetchedAt;
    expect(delay).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
    // Not a tick later: a generous bound, since a loaded machine delays timers by hundreds of ms.
    expect(delay).toBeLessThan(2 * INTERVAL_MS);
  });

  it('refreshes at once after a restart when the last refresh is older than the interval', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const dir = await e2e.tempDir();
    const jwt = await server.mint({ sub: 'lic-pro', tier: 'Pro' });
    await writeCache(dir, { jwt, fetchedAt: Date.now() - 10_000, apiKey: API_KEY });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    });
    const startedAt = Date.now();
    await agent.start();
    expect(agent.status().tier).toBe('Pro');
    await waitForRequests(server, 1, 5_000);
    // At once, not an interval later.
    expect(server.requests[0]!.receivedAt - startedAt).toBeLessThan(INTERVAL_MS);
  });

  it('keeps the schedule of a static license across a restart', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl });
    const dir = await e2e.tempDir();
    const options: Partial<LicenseAgentOptions> = {
      licenseKey, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    };
    const previous = e2e.agent(options);
    await previous.start();
    await previous.refreshNow();
    await previous.stop();
    const requests = server.requests.length;
    const fetchedAt = Date.parse((await readCache(dir))!.fetched_at);

    const restarted = e2e.agent(options);
    await restarted.start();
    expect(restarted.status().nextRefreshAt).toBe(new Date(fetchedAt + INTERVAL_MS).toISOString());
    await waitForRequests(server, requests + 1, INTERVAL_MS + 2_000);
    expect(server.requests[requests]!.receivedAt - fetchedAt).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
  });
});
