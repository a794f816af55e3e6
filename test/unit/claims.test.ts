import { describe, expect, it } from 'vitest';
import { LicenseVerificationError } from '../../src/errors.js';
import { COMMUNITY_QUOTAS, KNOWN_FEATURES, TIER_QUOTAS, expiresAtMs, parseClaims } from '../../src/license/claims.js';

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
  it('defaults features to all six known ones, trial to false, and exp, refresh_url, platform, jti and org_name to absent', () => {
    const claims = parseClaims({ ...BASE, quotas: {} });
    expect(claims).toEqual({
      sub: 'lic-1',
      tier: 'Pro',
      features: ['materialized_views', 'jdbc_driver', 'adbc_driver', 'flight_sql', 'federation', 'repl'],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
      trial: false,
      iat: 1_900_000_000,
      exp: undefined,
      refresh_url: undefined,
      platform: undefined,
      jti: undefined,
      org_name: undefined,
    });
    expect(claims.features).toEqual(KNOWN_FEATURES);
  });

  it('reads every claim the license carries', () => {
    const claims = parseClaims({
      ...BASE,
      tier: 'Enterprise',
      features: ['federation', 'materialized_views'],
      quotas: { max_materialized_views: 10, max_query_results: 1_000_000, max_clusters: 5, max_joins: 0 },
      trial: true,
      exp: 1_900_086_400,
      refresh_url: 'https://licenses.example.com/refresh',
      platform: 'STAGING',
      jti: 'lic-001',
      org_name: 'Acme Corp',
    });
    expect(claims).toEqual({
      sub: 'lic-1',
      tier: 'Enterprise',
      features: ['federation', 'materialized_views'],
      quotas: { max_materialized_views: 10, max_query_results: 1_000_000, max_clusters: 5, max_joins: 0 },
      trial: true,
      iat: 1_900_000_000,
      exp: 1_900_086_400,
      refresh_url: 'https://licenses.example.com/refresh',
      platform: 'STAGING',
      jti: 'lic-001',
      org_name: 'Acme Corp',
    });
  });

  it.each([
    ['pro', 'Pro'],
    ['PRO', 'Pro'],
    [' Pro ', 'Pro'],
    ['enterprise', 'Enterprise'],
    ['ENTERPRISE', 'Enterprise'],
    ['community', 'Community'],
    ['Community', 'Community'],
  ])('reads the tier %j case-insensitively and trimmed, as %s', (tier, expected) => {
    expect(parseClaims({ ...BASE, tier }).tier).toBe(expected);
  });

  it.each([
    ['an unknown tier', 'Gold'],
    ['an empty tier', ''],
    ['a tier that is not a string', 3],
    ['a missing tier', undefined],
  ])('reads %s as Community', (_, tier) => {
    expect(parseClaims({ ...BASE, tier }).tier).toBe('Community');
  });

  it('accepts a license without iat, leaving iat absent', () => {
    const claims = parseClaims({ ...BASE, iat: undefined });
    expect(claims.iat).toBeUndefined();
    expect(claims.sub).toBe('lic-1');
  });

  it('reads features case-insensitively and trimmed, in the license order, once each', () => {
    expect(parseClaims({ ...BASE, features: ['REPL', ' Flight_SQL ', 'repl', 'jdbc_driver'] }).features).toEqual([
      'repl',
      'flight_sql',
      'jdbc_driver',
    ]);
  });

  it('ignores features it does not know, retired ones included, without refusing the license', () => {
    expect(
      parseClaims({ ...BASE, features: ['unlimited_results', 'federation', 'odbc_driver', 'joins', 'advanced_aggregations'] })
        .features,
    ).toEqual(['federation']);
  });

  it('ignores feature entries that are not strings, without refusing the license', () => {
    expect(parseClaims({ ...BASE, features: ['federation', 7, null, { name: 'repl' }] }).features).toEqual(['federation']);
  });

  it('has no feature for an empty features array', () => {
    expect(parseClaims({ ...BASE, features: [] }).features).toEqual([]);
  });

  it('has all six features for a null features claim', () => {
    expect(parseClaims({ ...BASE, features: null }).features).toEqual(KNOWN_FEATURES);
  });

  it('reads max_result_rows as the max_query_results quota', () => {
    expect(parseClaims({ ...BASE, quotas: { max_result_rows: 500 } }).quotas).toEqual({
      max_materialized_views: null,
      max_query_results: 500,
      max_clusters: null,
      max_joins: null,
    });
  });

  it('accepts max_query_results for the same quota, as our own issuer wrote it', () => {
    expect(parseClaims({ ...BASE, quotas: { max_query_results: 700 } }).quotas.max_query_results).toBe(700);
  });

  it('prefers max_result_rows when a license carries both names', () => {
    expect(parseClaims({ ...BASE, quotas: { max_result_rows: 500, max_query_results: 700 } }).quotas.max_query_results).toBe(500);
  });

  it('reads a null max_result_rows as unlimited', () => {
    expect(parseClaims({ ...BASE, quotas: { max_result_rows: null, max_joins: 1 } }).quotas.max_query_results).toBeNull();
  });

  it('ignores quotas it does not know (max_concurrent_queries)', () => {
    expect(parseClaims({ ...BASE, quotas: { max_concurrent_queries: 3, max_clusters: 2 } }).quotas).toEqual({
      max_materialized_views: null,
      max_query_results: null,
      max_clusters: 2,
      max_joins: null,
    });
  });

  it.each([
    ['production', 'PRODUCTION'],
    ['Staging', 'STAGING'],
    [' integration ', 'INTEGRATION'],
    ['DEVELOPMENT', 'DEVELOPMENT'],
  ])('reads the platform %j in upper case, as %s', (platform, expected) => {
    expect(parseClaims({ ...BASE, platform }).platform).toBe(expected);
  });

  it('reads a null quota as unlimited', () => {
    expect(parseClaims({ ...BASE, quotas: { max_clusters: null, max_joins: 4 } }).quotas).toEqual({
      max_materialized_views: null,
      max_query_results: null,
      max_clusters: null,
      max_joins: 4,
    });
  });

  it('gives a license without a quotas claim its tier\'s quotas: Community 1/10000/1/2', () => {
    expect(parseClaims({ ...BASE, tier: 'community' }).quotas).toEqual(COMMUNITY_QUOTAS);
    expect(COMMUNITY_QUOTAS).toEqual({ max_materialized_views: 1, max_query_results: 10_000, max_clusters: 1, max_joins: 2 });
  });

  it('gives a Pro license without a quotas claim the Pro quotas 50/1000000/5/5', () => {
    expect(parseClaims(BASE).quotas).toEqual({
      max_materialized_views: 50,
      max_query_results: 1_000_000,
      max_clusters: 5,
      max_joins: 5,
    });
    expect(parseClaims({ ...BASE, quotas: null }).quotas).toEqual(TIER_QUOTAS.Pro);
  });

  it('gives an Enterprise license without a quotas claim unlimited quotas', () => {
    expect(parseClaims({ ...BASE, tier: 'enterprise' }).quotas).toEqual({
      max_materialized_views: null,
      max_query_results: null,
      max_clusters: null,
      max_joins: null,
    });
  });

  it('gives a license of an unknown tier without a quotas claim the Community quotas', () => {
    expect(parseClaims({ ...BASE, tier: 'Gold' }).quotas).toEqual(COMMUNITY_QUOTAS);
  });

  it('ignores claims it does not know', () => {
    expect(parseClaims({ ...BASE, customer: 'ACME' })).not.toHaveProperty('customer');
  });

  it('returns frozen claims, features and quotas', () => {
    const claims = parseClaims({ ...BASE, features: ['federation'], quotas: { max_joins: 1 } });
    expect([Object.isFrozen(claims), Object.isFrozen(claims.features), Object.isFrozen(claims.quotas)]).toEqual([true, true, true]);
  });

  it('copies features, so a later change to the payload does not reach the claims', () => {
    const features = ['federation'];
    const claims = parseClaims({ ...BASE, features });
    features.push('repl');
    expect(claims.features).toEqual(['federation']);
  });

  it.each([
    ['a negative quota', { quotas: { max_clusters: -1 } }, 'quotas.max_clusters'],
    ['a fractional quota', { quotas: { max_joins: 1.5 } }, 'quotas.max_joins'],
    ['a quota written as a string', { quotas: { max_query_results: '100' } }, 'quotas.max_query_results'],
    ['a max_result_rows written as a string', { quotas: { max_result_rows: '100' } }, 'quotas.max_result_rows'],
    ['a negative max_result_rows', { quotas: { max_result_rows: -5 } }, 'quotas.max_result_rows'],
    ['quotas that are not an object', { quotas: [1, 2, 3] }, 'quotas'],
    ['features that are not an array', { features: 'federation' }, 'features'],
    ['a trial that is not a boolean', { trial: 'yes' }, 'trial'],
    ['a missing sub', { sub: undefined }, 'sub'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['a sub that is not a string', { sub: 42 }, 'sub'],
    ['an iat that is not a number', { iat: '2030-01-01' }, 'iat'],
    ['an exp that is not a number', { exp: '2030-01-01' }, 'exp'],
    ['an empty refresh_url', { refresh_url: '' }, 'refresh_url'],
    ['a platform that is not a string', { platform: 3 }, 'platform'],
    ['a jti that is not a string', { jti: 7 }, 'jti'],
    ['an empty org_name', { org_name: '' }, 'org_name'],
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
