/**
 * Conformance: SoftClient4ES's SQL rows (SHOW LICENSE and REFRESH LICENSE in LicenseExecutor),
 * through the public API against the reference issuer on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { useE2E } from '../e2e/support/harness.js';
import { expiredAgent, PRO } from './support/expired-license.js';

const e2e = useE2E();

describe('SHOW LICENSE', () => {
  it('returns quotas as strings, expires_at at seconds precision and "Active"', async () => {
    const server = await e2e.server();
    const exp = Math.floor(Date.UTC(2099, 11, 31, 23, 59, 59) / 1000);
    const licenseKey = await server.mint({ ...PRO, exp });
    const agent = e2e.agent({ licenseKey, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.showLicense()).toMatchObject({
      license_type: 'Pro',
      max_materialized_views: '50',
      max_result_rows: '1000000',
      max_clusters: '5',
      max_joins: 'unlimited',
      expires_at: '2099-12-31T23:59:59Z',
      status: 'Active',
    });
    // The typed API keeps numbers.
    expect(agent.quota('max_query_results')).toBe(1_000_000);
  });

  it('says "Expired (3 days ago, in grace period)" in early grace', async () => {
    expect((await expiredAgent(e2e, 3)).showLicense().status).toBe('Expired (3 days ago, in grace period)');
  });

  it('says "Expired (10 days ago, 4 days until Community fallback)" in mid grace', async () => {
    expect((await expiredAgent(e2e, 10)).showLicense().status).toBe('Expired (10 days ago, 4 days until Community fallback)');
  });

  it('says "Community (degraded)" once grace is over', async () => {
    expect((await expiredAgent(e2e, 20)).showLicense()).toMatchObject({ license_type: 'Community (degraded)', days_remaining: -1 });
  });
});

describe('REFRESH LICENSE', () => {
  it('answers Refreshed with an empty message on success', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl });
    const agent = e2e.agent({ licenseKey, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(await agent.refreshLicense()).toMatchObject({ previous_tier: 'Pro', new_tier: 'Pro', status: 'Refreshed', message: '' });
  });

  it('answers Failed with "License refresh is not supported in Community mode" without a license', async () => {
    const agent = e2e.agent({ stateDir: await e2e.tempDir() });
    await agent.start();
    expect(await agent.refreshLicense()).toMatchObject({ status: 'Failed', message: 'License refresh is not supported in Community mode' });
  });
});
