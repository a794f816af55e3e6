/**
 * The forced refresh: a license expiring within 48 hours is refreshed at once, at start-up or the
 * moment it crosses the threshold, whatever the regular schedule says, and never in a loop when the
 * server keeps answering with short licenses.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../src/issuer/index.js';
import { HOUR, nowSeconds, sleep, useE2E, waitForRequests, writeCache } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_forced_key_5e21';
const THRESHOLD_MS = 48 * HOUR;
const SHORT: LicenseTemplate = { sub: 'lic-short', tier: 'Pro', validFor: HOUR };

describe('forced refresh', () => {
  it('refreshes at once at start-up in API-key mode when the cached license expires within 48 h', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-short', tier: 'Pro' } } });
    const dir = await e2e.tempDir();
    // Fetched a moment ago: the regular schedule alone would wait 24 hours.
    await writeCache(dir, { jwt: await server.mint(SHORT), fetchedAt: Date.now(), apiKey: API_KEY });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    const startedAt = Date.now();
    await agent.start();
    await waitForRequests(server, 1, 5_000);
    // At once, not a day later: a few seconds allow for a loaded machine.
    expect(server.requests[0]!.receivedAt - startedAt).toBeLessThan(3_000);
  });

  it('refreshes at once at start-up in static-JWT mode when the license expires within 48 h', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ ...SHORT, refresh_url: server.refreshUrl });
    const dir = await e2e.tempDir();
    await writeCache(dir, { jwt: licenseKey, fetchedAt: Date.now() });
    const agent = e2e.agent({ licenseKey, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    const startedAt = Date.now();
    await agent.start();
    await waitForRequests(server, 1, 5_000);
    // At once, not a day later: a few seconds allow for a loaded machine.
    expect(server.requests[0]!.receivedAt - startedAt).toBeLessThan(3_000);
    expect(server.requests[0]!.path).toBe('/api/v1/licenses/refresh');
  });

  it('refreshes when the license crosses the 48 h threshold, not before and not only at the next tick', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-short', tier: 'Pro' } } });
    const dir = await e2e.tempDir();
    // exp is in whole seconds: the threshold lands between 1 and 2 seconds from now.
    const exp = nowSeconds() + THRESHOLD_MS / 1000 + 2;
    const thresholdAt = exp * 1000 - THRESHOLD_MS;
    await writeCache(dir, { jwt: await server.mint({ sub: 'lic-short', tier: 'Pro', exp }), fetchedAt: Date.now(), apiKey: API_KEY });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    expect(agent.status().state).toBe('scheduled');
    expect(agent.status().nextRefreshAt).toBe(new Date(thresholdAt).toISOString());
    await sleep(Math.max(0, thresholdAt - Date.now() - 300));
    expect(server.requests).toHaveLength(0);
    await waitForRequests(server, 1, 3_000);
    const lateness = server.requests[0]!.receivedAt - thresholdAt;
    expect(lateness).toBeGreaterThanOrEqual(-5);
    expect(lateness).toBeLessThan(1_000);
  });

  it('does not loop when the server keeps answering with licenses expiring within 48 h (API-key mode)', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: SHORT } });
    const dir = await e2e.tempDir();
    await writeCache(dir, { jwt: await server.mint(SHORT), fetchedAt: Date.now(), apiKey: API_KEY });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    await waitForRequests(server, 1, 2_000);
    await sleep(1_200);
    expect(server.requests.length).toBeLessThanOrEqual(2);
    // The next forced attempt is bounded: about an hour away, not immediate.
    const next = Date.parse(agent.status().nextRefreshAt ?? '') - Date.now();
    expect(next).toBeGreaterThan(55 * 60_000);
    expect(next).toBeLessThanOrEqual(HOUR);
  });

  it('does not loop when the refresh keeps answering with licenses expiring within 48 h (static-JWT mode)', async () => {
    const server = await e2e.server();
    server.setLicense('lic-short', SHORT);
    const licenseKey = await server.mint({ ...SHORT, refresh_url: server.refreshUrl });
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    await waitForRequests(server, 1, 2_000);
    await sleep(1_200);
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(agent.status().state).toBe('scheduled');
    const next = Date.parse(agent.status().nextRefreshAt ?? '') - Date.now();
    expect(next).toBeGreaterThan(55 * 60_000);
  });
});
