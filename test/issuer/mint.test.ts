import { KNOWN_FEATURES } from '../../src/license/claims.js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseClaims } from '../../src/license/claims.js';
import { generateIssuerKeys } from '../../src/issuer/keys.js';
import { decodeLicenseClaims, mintLicense } from '../../src/issuer/mint.js';

const NOW = Date.UTC(2030, 0, 1) + 999;
const IAT = Math.floor(NOW / 1000);

describe('generateIssuerKeys', () => {
  it('defaults the kid to issuer- and 8 hex characters', async () => {
    expect((await generateIssuerKeys()).kid).toMatch(/^issuer-[0-9a-f]{8}$/);
  });

  it('publishes an Ed25519 public JWK with kid, alg and use, and no private part', async () => {
    const keys = await generateIssuerKeys('k1');
    expect(keys.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'k1', alg: 'EdDSA', use: 'sig' });
    expect(keys.publicJwk).not.toHaveProperty('d');
    expect(keys.jwks).toEqual({ keys: [keys.publicJwk] });
  });
});

describe('mintLicense', () => {
  it('signs with EdDSA under the issuer kid and typ JWT', async () => {
    const keys = await generateIssuerKeys();
    const jwt = await mintLicense(keys, { sub: 'lic-1', tier: 'Pro' }, { now: NOW });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', kid: keys.kid, typ: 'JWT' });
    await expect(jwtVerify(jwt, createLocalJWKSet(keys.jwks), { algorithms: ['EdDSA'], currentDate: new Date(NOW) })).resolves.toBeDefined();
  });

  it('mints claims the agent parses, valid 30 days from now by default', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro' }, { now: NOW });
    expect(parseClaims(decodeLicenseClaims(jwt))).toMatchObject({
      sub: 'lic-1',
      tier: 'Pro',
      // No features in the template: no claim, which reads as all six (as Community has).
      features: KNOWN_FEATURES,
      trial: false,
      iat: IAT,
      exp: IAT + 30 * 24 * 3600,
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
    });
  });

  it('mints SoftClient4ES\'s format: iss, jti lic-<sub>, org_name, a lower-case tier, quotas keyed max_result_rows, and iat', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'org-acme', tier: 'Enterprise', quotas: { max_clusters: 2 } }, { now: NOW });
    expect(decodeLicenseClaims(jwt)).toEqual({
      iss: 'https://license.softclient4es.com',
      sub: 'org-acme',
      jti: 'lic-org-acme',
      org_name: 'org-acme',
      tier: 'enterprise',
      quotas: { max_materialized_views: null, max_result_rows: null, max_clusters: 2, max_joins: null },
      trial: false,
      iat: IAT,
      exp: IAT + 30 * 24 * 3600,
    });
  });

  it('writes the max_query_results quota of a template as max_result_rows, which the agent reads back', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro', quotas: { max_query_results: 5_000 } }, { now: NOW });
    const claims = decodeLicenseClaims(jwt);
    expect(claims['quotas']).toMatchObject({ max_result_rows: 5_000 });
    expect(claims['quotas']).not.toHaveProperty('max_query_results');
    expect(parseClaims(claims).quotas.max_query_results).toBe(5_000);
  });

  it('takes iss, jti and org_name from the template when it gives them', async () => {
    const template = { sub: 'lic-1', tier: 'Pro' as const, iss: 'https://licenses.example.com', jti: 'lic-042', org_name: 'Acme Corp' };
    const jwt = await mintLicense(await generateIssuerKeys(), template, { now: NOW });
    expect(decodeLicenseClaims(jwt)).toMatchObject({ iss: 'https://licenses.example.com', jti: 'lic-042', org_name: 'Acme Corp' });
  });

  it('mints a license without exp when validFor is null', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro', validFor: null }, { now: NOW });
    expect(decodeLicenseClaims(jwt)).not.toHaveProperty('exp');
  });

  it('computes exp from an overridden iat', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro', iat: 1_000, validFor: 60_000 }, { now: NOW });
    expect(decodeLicenseClaims(jwt)).toMatchObject({ iat: 1_000, exp: 1_060 });
  });

  it('lets exp override validFor', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro', validFor: null, exp: 42 }, { now: NOW });
    expect(decodeLicenseClaims(jwt).exp).toBe(42);
  });

  it('merges extra claims last, so a test can forge a malformed claim', async () => {
    const jwt = await mintLicense(await generateIssuerKeys(), { sub: 'lic-1', tier: 'Pro', extra: { tier: 'Gold', jti: 'x' } }, { now: NOW });
    expect(decodeLicenseClaims(jwt)).toMatchObject({ tier: 'Gold', jti: 'x' });
  });
});
