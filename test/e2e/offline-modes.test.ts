/**
 * When the agent must stay off the network: a static JWT without `refresh_url`, no license at all,
 * and `refresh.enabled = false`. A server listens in every test so that a request, had one been
 * made, would be seen.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../src/issuer/index.js';
import { sleep, useE2E } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_offline_key_93b0';
const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro' };
/** Over three 250 ms intervals: long enough for a scheduler that should not exist to show itself. */
const INTERVAL = '250ms';
const QUIET_WINDOW_MS = 800;

describe('offline modes', () => {
  it('never makes a request in static-JWT mode without refresh_url', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro' });
    const agent = e2e.agent({
      licenseKey, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: INTERVAL },
    });
    await agent.start();
    expect(agent.status()).toMatchObject({ mode: 'static-jwt', state: 'offline', tier: 'Pro', nextRefreshAt: null });
    await sleep(QUIET_WINDOW_MS);
    expect(server.requests.length).toBe(0);
  });

  it('never makes a request as Community when no license is configured', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: INTERVAL },
    });
    await agent.start();
    expect(agent.status()).toMatchObject({ mode: 'community', state: 'offline', tier: 'Community', licenseId: null });
    expect(agent.license().tier).toBe('Community');
    await sleep(QUIET_WINDOW_MS);
    expect(server.requests.length).toBe(0);
  });

  it('makes no request in API-key mode with refresh disabled and a valid cache', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const dir = await e2e.tempDir();
    const base = { apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks };
    const previous = e2e.agent({ ...base, refresh: { interval: '24h' } });
    await previous.start();
    await previous.stop();
    expect(server.requests).toHaveLength(1);

    const agent = e2e.agent({ ...base, refresh: { enabled: false, interval: INTERVAL } });
    await agent.start();
    expect(agent.status()).toMatchObject({ mode: 'api-key', state: 'offline', tier: 'Pro', refreshEnabled: false });
    await sleep(QUIET_WINDOW_MS);
    expect(server.requests).toHaveLength(1);
  });

  it('fetches exactly once at start in API-key mode with refresh disabled and no cache', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { enabled: false, interval: INTERVAL },
    });
    await agent.start();
    expect(server.requests).toHaveLength(1);
    expect(agent.status()).toMatchObject({ state: 'offline', tier: 'Pro' });
    await sleep(QUIET_WINDOW_MS);
    expect(server.requests).toHaveLength(1);
  });

  it('makes no scheduled request in static-JWT mode with refresh_url when refresh is disabled', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl });
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { enabled: false, interval: INTERVAL },
    });
    await agent.start();
    expect(agent.status()).toMatchObject({ mode: 'static-jwt', state: 'offline' });
    await sleep(QUIET_WINDOW_MS);
    expect(server.requests.length).toBe(0);
  });
});
