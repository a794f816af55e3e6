import { describe, expect, it } from 'vitest';
import { LicenseVerificationError } from '../../src/errors.js';
import { COMMUNITY_QUOTAS, expiresAtMs, parseClaims } from '../../src/license/claims.js';

const BASE = { sub: 'lic-1', tier: 'Pro', iat: 1_900_000_000 };

function rejectedClaim(payload: Record<string, unknown>): string | undefined {
  try {
    parseClaims(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(LicenseVerificationError);
    expect((error as LicenseVerificationError).code).toBe('ERR_LICENSE_VERIFICATION');
    return (error as LicenseVerificationError).claim;
  }
  throw new Error('parseClaims accepted the payload');
}

describe('parseClaims', () => {
  it('defaults features to none, trial to false, and exp, refresh_url and platform to absent', () => {
    expect(parseClaims({ ...BASE, quotas: {} })).toEqual({
      sub: 'lic-1',
      tier: 'Pro',
      features: [],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
      trial: false,
      iat: 1_900_000_000,
      exp: undefined,
      refresh_url: undefined,
      platform: undefined,
    });
  });

  it('reads every claim the license carries', () => {
    const claims = parseClaims({
      ...BASE,
      tier: 'Enterprise',
      features: ['joins', 'materialized_views'],
      quotas: { max_materialized_views: 10, max_query_results: 1_000_000, max_clusters: 5, max_joins: 0 },
      trial: true,
      exp: 1_900_086_400,
      refresh_url: 'https://licenses.example.com/refresh',
      platform: 'linux-x64',
    });
    expect(claims).toMatchObject({
      tier: 'Enterprise',
      features: ['joins', 'materialized_views'],
      quotas: { max_materialized_views: 10, max_query_results: 1_000_000, max_clusters: 5, max_joins: 0 },
      trial: true,
      exp: 1_900_086_400,
      refresh_url: 'https://licenses.example.com/refresh',
      platform: 'linux-x64',
    });
  });

  it('reads a null quota as unlimited', () => {
    expect(parseClaims({ ...BASE, quotas: { max_clusters: null, max_joins: 4 } }).quotas).toEqual({
      max_materialized_views: null,
      max_query_results: null,
      max_clusters: null,
      max_joins: 4,
    });
  });

  it('gives Community quotas to a license without a quotas claim', () => {
    expect(parseClaims(BASE).quotas).toEqual(COMMUNITY_QUOTAS);
  });

  it('ignores claims it does not know', () => {
    expect(parseClaims({ ...BASE, jti: 'abc', customer: 'ACME' })).not.toHaveProperty('customer');
  });

  it('returns frozen claims, features and quotas', () => {
    const claims = parseClaims({ ...BASE, features: ['joins'], quotas: { max_joins: 1 } });
    expect([Object.isFrozen(claims), Object.isFrozen(claims.features), Object.isFrozen(claims.quotas)]).toEqual([true, true, true]);
  });

  it('copies features, so a later change to the payload does not reach the claims', () => {
    const features = ['joins'];
    const claims = parseClaims({ ...BASE, features });
    features.push('everything');
    expect(claims.features).toEqual(['joins']);
  });

  it.each([
    ['a negative quota', { quotas: { max_clusters: -1 } }, 'quotas.max_clusters'],
    ['a fractional quota', { quotas: { max_joins: 1.5 } }, 'quotas.max_joins'],
    ['a quota written as a string', { quotas: { max_query_results: '100' } }, 'quotas.max_query_results'],
    ['quotas that are not an object', { quotas: [1, 2, 3] }, 'quotas'],
    ['features that are not an array', { features: 'joins' }, 'features'],
    ['features that are not all strings', { features: ['joins', 7] }, 'features'],
    ['a trial that is not a boolean', { trial: 'yes' }, 'trial'],
    ['a missing sub', { sub: undefined }, 'sub'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['a sub that is not a string', { sub: 42 }, 'sub'],
    ['an unknown tier', { tier: 'Gold' }, 'tier'],
    ['a tier in the wrong case', { tier: 'pro' }, 'tier'],
    ['a missing iat', { iat: undefined }, 'iat'],
    ['an exp that is not a number', { exp: '2030-01-01' }, 'exp'],
    ['an empty refresh_url', { refresh_url: '' }, 'refresh_url'],
    ['a platform that is not a string', { platform: 3 }, 'platform'],
  ])('rejects %s, naming the claim', (_, change, claim) => {
    expect(rejectedClaim({ ...BASE, ...change })).toBe(claim);
  });
});

describe('expiresAtMs', () => {
  it('converts exp to milliseconds', () => {
    expect(expiresAtMs(parseClaims({ ...BASE, exp: 1_900_000_060 }))).toBe(1_900_000_060_000);
  });

  it('is undefined for a license that never expires', () => {
    expect(expiresAtMs(parseClaims(BASE))).toBeUndefined();
  });
});
