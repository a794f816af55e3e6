import { describe, expect, it } from 'vitest';
import { COMMUNITY_QUOTAS, KNOWN_FEATURES, parseClaims, type QuotaName, type VerifiedLicense } from '../../src/license/claims.js';
import { COMMUNITY_LICENSE, effectiveLicense, featureSet } from '../../src/license/effective.js';

const NOW = Date.UTC(2030, 0, 1);
const NOW_S = NOW / 1000;

function pro(exp: number | undefined, extra: Record<string, unknown> = {}): VerifiedLicense {
  return {
    jwt: 'header.payload.signature',
    claims: parseClaims({
      sub: 'lic-pro',
      tier: 'Pro',
      iat: NOW_S - 3600,
      features: ['federation', 'materialized_views'],
      quotas: { max_materialized_views: 20, max_query_results: null, max_clusters: 3, max_joins: 10 },
      platform: 'staging',
      ...(exp === undefined ? {} : { exp }),
      ...extra,
    }),
  };
}

describe('effectiveLicense', () => {
  it('is Community when there is no license', () => {
    expect(effectiveLicense(undefined, 'valid', 'none')).toBe(COMMUNITY_LICENSE);
  });

  it('describes plain Community: Community quotas, all six features, no license id, not degraded', () => {
    expect(COMMUNITY_LICENSE).toEqual({
      tier: 'Community',
      features: ['materialized_views', 'jdbc_driver', 'adbc_driver', 'flight_sql', 'federation', 'repl'],
      quotas: COMMUNITY_QUOTAS,
      trial: false,
      platform: null,
      expiresAt: null,
      degraded: false,
      grace: 'none',
      licenseId: null,
    });
  });

  it('carries the terms of a license that has not expired', () => {
    expect(effectiveLicense(pro(NOW_S + 3600), 'valid', 'none')).toEqual({
      tier: 'Pro',
      features: ['federation', 'materialized_views'],
      quotas: { max_materialized_views: 20, max_query_results: null, max_clusters: 3, max_joins: 10 },
      trial: false,
      platform: 'STAGING',
      expiresAt: new Date((NOW_S + 3600) * 1000).toISOString(),
      degraded: false,
      grace: 'none',
      licenseId: 'lic-pro',
    });
  });

  it('has no expiry for a license without exp', () => {
    expect(effectiveLicense(pro(undefined), 'valid', 'none')).toMatchObject({ tier: 'Pro', expiresAt: null, degraded: false });
  });

  it('keeps the paid terms through grace, with the grace part', () => {
    expect(effectiveLicense(pro(NOW_S - 1), 'grace', 'early')).toMatchObject({ tier: 'Pro', degraded: false, grace: 'early' });
    expect(effectiveLicense(pro(NOW_S - 1), 'grace', 'mid')).toMatchObject({ tier: 'Pro', grace: 'mid', quotas: { max_clusters: 3 } });
  });

  it('keeps the paid terms while expiring soon, with no grace', () => {
    expect(effectiveLicense(pro(NOW_S + 60), 'expiringSoon', 'none')).toMatchObject({ tier: 'Pro', degraded: false, grace: 'none' });
  });

  it('falls back to Community terms, degraded, once grace is over', () => {
    const expired = effectiveLicense(pro(NOW_S - 1, { trial: true }), 'degraded', 'none');
    expect(expired).toEqual({
      tier: 'Community',
      features: KNOWN_FEATURES,
      quotas: COMMUNITY_QUOTAS,
      trial: false,
      platform: null,
      expiresAt: new Date((NOW_S - 1) * 1000).toISOString(),
      degraded: true,
      grace: 'none',
      licenseId: 'lic-pro',
    });
  });

  it('returns frozen objects, down to features and quotas', () => {
    for (const license of [COMMUNITY_LICENSE, effectiveLicense(pro(NOW_S + 3600), 'valid', 'none'), effectiveLicense(pro(NOW_S - 3600), 'degraded', 'none')]) {
      expect([Object.isFrozen(license), Object.isFrozen(license.features), Object.isFrozen(license.quotas)]).toEqual([true, true, true]);
    }
  });
});

describe('featureSet and quotas', () => {
  it('answers feature lookups from the effective license', () => {
    const features = featureSet(effectiveLicense(pro(NOW_S + 3600), 'valid', 'none'));
    const has = (name: string) => features[name] === true;
    expect([has('federation'), has('materialized_views'), has('sso')]).toEqual([true, true, false]);
    // A name inherited from Object.prototype is not a feature.
    expect([has('toString'), has('__proto__'), has('constructor')]).toEqual([false, false, false]);
  });

  it('has Community\'s six features once the license is degraded, whatever the license granted', () => {
    const degraded = effectiveLicense(pro(NOW_S - 3600, { features: ['federation'] }), 'degraded', 'none');
    expect(Object.keys(featureSet(degraded)).sort()).toEqual([...KNOWN_FEATURES].sort());
    expect(degraded.quotas).toEqual(COMMUNITY_QUOTAS);
  });

  it('answers Community feature lookups on plain Community, materialized_views included', () => {
    const features = featureSet(COMMUNITY_LICENSE);
    expect(KNOWN_FEATURES.map((name) => features[name] === true)).toEqual([true, true, true, true, true, true]);
    expect(features['joins'] === true).toBe(false);
  });

  it('reads a quota by name from the license\'s quotas, null meaning unlimited', () => {
    const { quotas } = effectiveLicense(pro(NOW_S + 3600), 'valid', 'none');
    const names: QuotaName[] = ['max_clusters', 'max_query_results'];
    expect(names.map((name) => quotas[name])).toEqual([3, null]);
  });
});
