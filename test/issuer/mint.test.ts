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
      features: [],
      trial: false,
      iat: IAT,
      exp: IAT + 30 * 24 * 3600,
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
    });
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
