/**
 * Conformance, the license format: a token exactly as SoftClient4ES issues it (its test helper's
 * claims, signed with its published test key) is read as SoftClient4ES's JwtLicenseManager reads
 * it. Each test restates one behaviour of SoftClient4ES's `JwtLicenseManagerSpec` or `LicenseKey`
 * model, through the public API of a started agent in static-JWT mode.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { useE2E } from '../e2e/support/harness.js';
import type { LicenseAgent } from '../../src/index.js';
import { ERROR, type LogCapture } from '../support/logs.js';
import { TEST_JWKS } from './fixtures/softclient4es-test-key.js';
import { communityClaims, enterpriseClaims, proClaims, signWithTestKey, type Claims, type HeaderOptions } from './support/softclient4es-tokens.js';

const e2e = useE2E();

const SIX_FEATURES = ['adbc_driver', 'federation', 'flight_sql', 'jdbc_driver', 'materialized_views', 'repl'];

/** A started agent whose configured license is `claims`, signed with SoftClient4ES's test key. */
async function agentWith(claims: Claims, header: HeaderOptions = {}, options: { issuer?: string } = {}): Promise<LicenseAgent> {
  const agent = e2e.agent({
    licenseKey: await signWithTestKey(claims, header),
    trustedKeys: TEST_JWKS,
    stateDir: await e2e.tempDir(),
    ...options,
  });
  await agent.start();
  return agent;
}

/** Every `error` line's message and error message, as an operator would read them. */
function errorTexts(logs: LogCapture): string[] {
  return logs.at(ERROR).map((line) => `${line.msg} ${(line['err'] as { message?: string } | undefined)?.message ?? ''}`);
}

describe('conformance: the license format, as SoftClient4ES reads it', () => {
  it('gives Pro with the JWT quotas to a token in SoftClient4ES format signed with its test key, as JwtLicenseManager does', async () => {
    const agent = await agentWith(proClaims());
    expect(agent.license().tier).toBe('Pro');
    expect(agent.license().licenseId).toBe('org-acme-123');
    expect(agent.quota('max_query_results')).toBe(1_000_000);
    expect(agent.quota('max_materialized_views')).toBe(50);
    expect(agent.quota('max_clusters')).toBe(5);
    expect(agent.quota('max_joins')).toBeNull();
    expect(agent.hasFeature('materialized_views')).toBe(true);
    expect(agent.hasFeature('jdbc_driver')).toBe(true);
    expect(agent.hasFeature('flight_sql')).toBe(true);
    expect(agent.license().trial).toBe(false);
  });

  it('signs as its JwtTestHelper does: EdDSA, kid softclient4es-test, no typ, no iat', async () => {
    // Guards the fixture itself: the other tests only prove something if the tokens are SoftClient4ES's shape.
    const jwt = await signWithTestKey(proClaims());
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', kid: 'softclient4es-test' });
    const claims = decodeJwt(jwt);
    expect(claims.iat).toBeUndefined();
    expect(claims.tier).toBe('pro');
    expect(claims.iss).toBe('https://license.softclient4es.com');
  });

  it('ignores unknown and retired features (unlimited_results) instead of refusing the license, as JwtLicenseManager does', async () => {
    const agent = await agentWith(proClaims());
    expect(agent.license().tier).toBe('Pro');
    expect(agent.license().features).not.toContain('unlimited_results');
    expect(agent.hasFeature('unlimited_results')).toBe(false);
    expect([...agent.license().features].sort()).toEqual(['flight_sql', 'jdbc_driver', 'materialized_views']);
    expect(errorTexts(e2e.logs)).toEqual([]);
  });

  it('reads features case-insensitively, as Feature.fromString does', async () => {
    const agent = await agentWith(proClaims({ features: ['MATERIALIZED_VIEWS', 'Jdbc_Driver', 'Federation'] }));
    expect(agent.hasFeature('materialized_views')).toBe(true);
    expect(agent.hasFeature('jdbc_driver')).toBe(true);
    expect(agent.hasFeature('federation')).toBe(true);
    expect(agent.hasFeature('flight_sql')).toBe(false);
  });

  it.each(['pro', 'PRO', 'Pro', 'pRo', '  pro  '])('reads tier %j case-insensitively and trimmed, as JwtLicenseManager does', async (tier) => {
    const agent = await agentWith(proClaims({ tier }));
    expect(agent.license().tier).toBe('Pro');
  });

  it.each(['ENTERPRISE', 'enterprise', ' Enterprise '])('reads tier %j as Enterprise, as JwtLicenseManager does', async (tier) => {
    const agent = await agentWith(enterpriseClaims({ tier }));
    expect(agent.license().tier).toBe('Enterprise');
  });

  it.each(['platinum', 'gold', ''])('reads unknown tier %j as Community without refusing the license, as Tier.fromString does', async (tier) => {
    const agent = await agentWith(proClaims({ tier }));
    expect(agent.license().tier).toBe('Community');
    // Read, not refused: the license is still the one in force.
    expect(agent.status().licenseId).toBe('org-acme-123');
  });

  it('accepts a token without iat, as SoftClient4ES issues them', async () => {
    const jwt = await signWithTestKey(proClaims({ iat: undefined }));
    expect(decodeJwt(jwt).iat).toBeUndefined();
    const agent = e2e.agent({ licenseKey: jwt, trustedKeys: TEST_JWKS, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Pro');
    expect(errorTexts(e2e.logs)).toEqual([]);
  });

  it('refuses a token from another issuer with a message naming iss, as JwtLicenseManager checks its expected issuer', async () => {
    const agent = await agentWith(proClaims({ iss: 'https://license.example.com' }));
    expect(agent.license().tier).toBe('Community');
    expect(agent.status().licenseId).toBeNull();
    expect(errorTexts(e2e.logs).some((text) => /\biss\b/.test(text))).toBe(true);
  });

  it('refuses a token without iss, as JwtLicenseManager requires its expected issuer', async () => {
    const agent = await agentWith(proClaims({ iss: undefined }));
    expect(agent.license().tier).toBe('Community');
    expect(errorTexts(e2e.logs).some((text) => /\biss\b/.test(text))).toBe(true);
  });

  it('accepts another issuer when it is the expected one, as JwtLicenseManager takes the issuer as a parameter', async () => {
    const issuer = 'https://license.staging.softclient4es.com';
    const agent = await agentWith(proClaims({ iss: issuer }), {}, { issuer });
    expect(agent.license().tier).toBe('Pro');
  });

  it('refuses a token without kid ("missing key id"), as JwtLicenseManager does', async () => {
    const agent = await agentWith(proClaims(), { kid: null });
    expect(agent.license().tier).toBe('Community');
    expect(agent.status().licenseId).toBeNull();
    expect(errorTexts(e2e.logs).some((text) => text.includes('missing key id'))).toBe(true);
  });

  it('refuses a token with an unknown kid ("unknown key id"), as JwtLicenseManager does', async () => {
    const agent = await agentWith(proClaims(), { kid: 'softclient4es-2099' });
    expect(agent.license().tier).toBe('Community');
    expect(errorTexts(e2e.logs).some((text) => text.includes('unknown key id'))).toBe(true);
  });

  it('reads Enterprise quotas {} as all unlimited, as LicenseKey does', async () => {
    const agent = await agentWith(enterpriseClaims());
    expect(agent.license().tier).toBe('Enterprise');
    expect(agent.license().licenseId).toBe('org-bigcorp-456');
    expect(agent.quota('max_query_results')).toBeNull();
    expect(agent.quota('max_materialized_views')).toBeNull();
    expect(agent.quota('max_clusters')).toBeNull();
    expect(agent.quota('max_joins')).toBeNull();
    expect(agent.showLicense()).toMatchObject({
      license_type: 'Enterprise',
      max_materialized_views: 'unlimited',
      max_clusters: 'unlimited',
      max_result_rows: 'unlimited',
      max_joins: 'unlimited',
    });
  });

  it('keeps the known Enterprise features and ignores odbc_driver and advanced_aggregations, as JwtLicenseManager does', async () => {
    const agent = await agentWith(enterpriseClaims());
    expect([...agent.license().features].sort()).toEqual(['federation', 'flight_sql', 'jdbc_driver', 'materialized_views']);
    expect(agent.hasFeature('odbc_driver')).toBe(false);
    expect(agent.hasFeature('advanced_aggregations')).toBe(false);
  });

  it("reads a community token's own quotas over Community's defaults, as LicenseKey does", async () => {
    const agent = await agentWith(communityClaims());
    expect(agent.license().tier).toBe('Community');
    expect(agent.quota('max_materialized_views')).toBe(3);
    expect(agent.quota('max_query_results')).toBe(10_000);
    expect(agent.quota('max_clusters')).toBe(2);
    expect(agent.quota('max_joins')).toBeNull();
  });

  it('reads a null quota as unlimited, as LicenseKey does', async () => {
    const agent = await agentWith(proClaims({ quotas: { max_materialized_views: 50, max_result_rows: null, max_clusters: null } }));
    expect(agent.quota('max_materialized_views')).toBe(50);
    expect(agent.quota('max_query_results')).toBeNull();
    expect(agent.quota('max_clusters')).toBeNull();
  });

  it('reads max_query_results as the result-rows quota too, as later SoftClient4ES code names it', async () => {
    const agent = await agentWith(proClaims({ quotas: { max_query_results: 250_000 } }));
    expect(agent.quota('max_query_results')).toBe(250_000);
    expect(agent.showLicense().max_result_rows).toBe('250000');
  });

  it("gives a token without quotas its tier's defaults (Pro 50 / 1,000,000 / 5 / 5), as the Quota defaults do", async () => {
    const agent = await agentWith(proClaims({ quotas: undefined }));
    expect(agent.license().tier).toBe('Pro');
    expect(agent.license().quotas).toEqual({
      max_materialized_views: 50,
      max_query_results: 1_000_000,
      max_clusters: 5,
      max_joins: 5,
    });
  });

  it.each([
    ['staging', 'STAGING'],
    ['Development', 'DEVELOPMENT'],
    ['INTEGRATION', 'INTEGRATION'],
  ])('reads platform %j case-insensitively, as Platform.fromString does', async (platform, expected) => {
    const agent = await agentWith(proClaims({ platform }));
    expect(agent.license().platform).toBe(expected);
    expect(agent.showLicense().platform).toBe(expected);
  });

  it('reads a token without platform as PRODUCTION, as LicenseKey does', async () => {
    const agent = await agentWith(proClaims());
    expect(agent.showLicense().platform).toBe('PRODUCTION');
  });

  it('reads trial: true as a trial license, as LicenseKey does', async () => {
    const agent = await agentWith(proClaims({ trial: true }));
    expect(agent.license().trial).toBe(true);
    expect(agent.showLicense().license_type).toBe('Pro (trial)');
  });

  it('gives Community all six features and its quotas (1 / 10,000 / 1 / 2), as LicenseKey.Community does', async () => {
    const agent = e2e.agent({ stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Community');
    expect([...agent.license().features].sort()).toEqual(SIX_FEATURES);
    for (const feature of SIX_FEATURES) expect(agent.hasFeature(feature)).toBe(true);
    expect(agent.license().quotas).toEqual({
      max_materialized_views: 1,
      max_query_results: 10_000,
      max_clusters: 1,
      max_joins: 2,
    });
  });
});
