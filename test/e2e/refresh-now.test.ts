/**
 * `refreshNow()` (the REFRESH LICENSE command) and the `licenseChanged` event, end to end.
 */
import { describe, expect, it } from 'vitest';
import type { EffectiveLicense } from '../../src/index.js';
import type { LicenseServer } from '../../src/issuer/index.js';
import { useE2E } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_refresh_now_key_19ab';

async function apiKeyAgent(server: LicenseServer) {
  return e2e.agent({
    apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
  });
}

describe('refreshNow()', () => {
  it('answers refreshed with the previous and the new tier after an upgrade', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-1', tier: 'Pro', features: ['materialized_views'] } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    expect(agent.hasFeature('repl')).toBe(false);
    server.setApiKey(API_KEY, { sub: 'lic-1', tier: 'Enterprise', features: ['repl'] });
    const result = await agent.refreshNow();
    expect(result).toMatchObject({ status: 'refreshed', previousTier: 'Pro', newTier: 'Enterprise' });
    expect(result.message).toEqual(expect.any(String));
    expect(agent.license().tier).toBe('Enterprise');
    expect(agent.hasFeature('repl')).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it("emits 'licenseChanged' with the next and the previous license on an upgrade", async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-1', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    const changes: Array<[EffectiveLicense, EffectiveLicense]> = [];
    agent.on('licenseChanged', (next, previous) => changes.push([next, previous]));
    server.setApiKey(API_KEY, { sub: 'lic-1', tier: 'Enterprise' });
    await agent.refreshNow();
    expect(changes).toHaveLength(1);
    const [next, previous] = changes[0]!;
    expect(previous.tier).toBe('Pro');
    expect(next.tier).toBe('Enterprise');
    expect(next).toBe(agent.license());
  });

  it('answers failed with a message naming the cause when the server fails', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-1', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    server.respondWith(() => ({ status: 503, body: 'down for maintenance' }));
    const result = await agent.refreshNow();
    expect(result).toMatchObject({ status: 'failed', previousTier: 'Pro', newTier: 'Pro' });
    expect(result.message).toContain('503');
    expect(agent.license().tier).toBe('Pro');
  });

  it('answers failed without a request in static-JWT mode without refresh_url', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro' });
    const agent = e2e.agent({ licenseKey, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks });
    await agent.start();
    const result = await agent.refreshNow();
    expect(result).toMatchObject({ status: 'failed', previousTier: 'Pro', newTier: 'Pro' });
    expect(result.message).toContain('refresh_url');
    expect(server.requests).toHaveLength(0);
  });

  it('answers failed after stop()', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-1', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    await agent.stop();
    expect(await agent.refreshNow()).toMatchObject({ status: 'failed' });
    expect(server.requests).toHaveLength(1);
  });
});
