/**
 * Static-JWT mode end to end: the refresh at `refresh_url` with the current JWT as bearer, a 204
 * "no change", and which license wins at start-up.
 */
import { describe, expect, it } from 'vitest';
import { decodeLicenseClaims, type LicenseServer } from '../../src/issuer/index.js';
import { bodyOf, credentials, nowSeconds, readCache, sleep, useE2E, waitFor, waitForRequests } from './support/harness.js';

const e2e = useE2E();

/** A static Pro license refreshable at the server, issued a minute ago so that any re-issue differs. */
function mintStatic(server: LicenseServer, sub = 'lic-static'): Promise<string> {
  return server.mint({ sub, tier: 'Pro', refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
}

/** Each re-issue of `sub` carries its serial number in the `serial` claim. */
function stampEachRefresh(server: LicenseServer, sub: string): void {
  server.respondWith(() => {
    server.setLicense(sub, { sub, tier: 'Pro', extra: { serial: server.requests.length } });
    return undefined;
  });
}

describe('static-JWT mode with refresh_url', () => {
  it('POSTs to refresh_url with the current JWT as bearer and a body of exactly license_id, instance_id, version, uptime_hours and telemetry', async () => {
    const server = await e2e.server();
    const licenseKey = await mintStatic(server);
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '300ms' }, random: () => 0,
    });
    await agent.start();
    expect(agent.status().mode).toBe('static-jwt');
    await waitForRequests(server, 1, 2_000);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/v1/licenses/refresh');
    expect(request.headers.authorization).toBe(`Bearer ${licenseKey}`);
    const body = bodyOf(request);
    expect(Object.keys(body).sort()).toEqual(['instance_id', 'license_id', 'telemetry', 'uptime_hours', 'version']);
    expect(body).toMatchObject({ license_id: 'lic-static', version: '1.2.3', instance_id: agent.status().instanceId });
    expect(body['uptime_hours']).toBeGreaterThanOrEqual(0);
  });

  it('presents the re-issued JWT as bearer on the next refresh', async () => {
    const server = await e2e.server();
    stampEachRefresh(server, 'lic-static');
    const licenseKey = await mintStatic(server);
    const dir = await e2e.tempDir();
    const agent = e2e.agent({
      licenseKey, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '300ms' }, random: () => 0,
    });
    await agent.start();
    await waitForRequests(server, 3, 4_000);
    const bearers = server.requests.map((request) => credentials(request, 'Bearer') as string);
    expect(bearers[0]).toBe(licenseKey);
    expect(decodeLicenseClaims(bearers[1]!)['serial']).toBe(1);
    expect(decodeLicenseClaims(bearers[2]!)['serial']).toBe(2);
    await waitFor(async () => {
      const cache = await readCache(dir);
      return cache && Number(decodeLicenseClaims(cache.jwt)['serial']) >= 3;
    }, 2_000, 'the cache to hold the third re-issue');
  });

  it('keeps the current JWT and counts a 204 answer as a success', async () => {
    const server = await e2e.server({ refreshAnswer: 'unchanged' });
    const licenseKey = await mintStatic(server);
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '400ms' }, random: () => 0,
    });
    await agent.start();
    const license = agent.license();
    await waitForRequests(server, 1, 2_000);
    const first = await waitFor(() => agent.status().lastRefresh, 2_000, 'a first successful refresh');
    await waitForRequests(server, 2, 2_000);
    const second = await waitFor(() => (agent.status().lastRefresh !== first ? agent.status().lastRefresh : null), 2_000, 'lastRefresh to move');
    expect(Date.parse(second)).toBeGreaterThan(Date.parse(first));
    await waitFor(() => agent.status().state === 'scheduled', 1_000, "state 'scheduled'");
    expect(agent.status().lastError).toBeNull();
    expect(agent.license()).toBe(license);
    expect(server.requests.every((request) => credentials(request, 'Bearer') === licenseKey)).toBe(true);
    expect(e2e.logs.refreshFailures()).toEqual([]);
  });
});

describe('static-JWT mode: start-up', () => {
  it('prefers a cached JWT of the same license with a later iat, so an upgrade survives a restart', async () => {
    const server = await e2e.server();
    server.setLicense('lic-static', { sub: 'lic-static', tier: 'Enterprise' });
    const licenseKey = await mintStatic(server);
    const dir = await e2e.tempDir();
    const options = { licenseKey, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } };
    const first = e2e.agent(options);
    await first.start();
    expect(await first.refreshNow()).toMatchObject({ status: 'refreshed', newTier: 'Enterprise' });
    await first.stop();
    const requests = server.requests.length;

    const second = e2e.agent(options);
    await second.start();
    expect(second.status()).toMatchObject({ mode: 'static-jwt', tier: 'Enterprise', licenseId: 'lic-static' });
    expect(second.license().tier).toBe('Enterprise');
    await sleep(200);
    expect(server.requests).toHaveLength(requests);
  });

  it('ignores a cached JWT of another license id', async () => {
    const server = await e2e.server();
    server.setLicense('lic-other', { sub: 'lic-other', tier: 'Enterprise' });
    const dir = await e2e.tempDir();
    const first = e2e.agent({
      licenseKey: await mintStatic(server, 'lic-other'), stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
    });
    await first.start();
    await first.refreshNow();
    await first.stop();
    expect((await readCache(dir))?.license_id).toBe('lic-other');

    // The configured license has no refresh_url: whatever the agent shows comes from start-up alone.
    const licenseKey = await server.mint({ sub: 'lic-mine', tier: 'Pro' });
    const second = e2e.agent({ licenseKey, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await second.start();
    expect(second.status()).toMatchObject({ mode: 'static-jwt', tier: 'Pro', licenseId: 'lic-mine' });
  });
});
