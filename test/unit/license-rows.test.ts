/**
 * The rows of `SHOW LICENSE` and `REFRESH LICENSE` column for column as SoftClient4ES returns them
 * (its `LicenseExecutorSpec`): quotas as text, the expiry at seconds precision or `never`, the
 * grace stage in the status text, and an empty message on success.
 */
import { describe, expect, it } from 'vitest';
import { COMMUNITY_LICENSE, type EffectiveLicense } from '../../src/license/effective.js';
import { refreshLicenseRow, showLicenseRow, type AgentStatus } from '../../src/agent/status.js';

const PRO: EffectiveLicense = Object.freeze({
  tier: 'Pro',
  features: ['federation'],
  quotas: { max_materialized_views: 50, max_query_results: 1_000_000, max_clusters: 5, max_joins: null },
  trial: false,
  platform: null,
  expiresAt: '2027-12-31T23:59:59.000Z',
  degraded: false,
  grace: 'none',
  licenseId: 'lic-001',
});

const ACTIVE: AgentStatus = {
  mode: 'api-key',
  state: 'scheduled',
  validity: 'valid',
  tier: 'Pro',
  quotas: PRO.quotas,
  features: PRO.features,
  licenseId: 'lic-001',
  expiresAt: PRO.expiresAt,
  daysRemaining: 400,
  grace: 'none',
  degraded: false,
  degradedFrom: null,
  endpoint: null,
  instanceId: null,
  lastRefresh: null,
  lastAttempt: null,
  nextRefreshAt: null,
  refreshEnabled: true,
  telemetryEnabled: false,
  telemetryDisabledBy: null,
  stateDir: null,
  lastError: null,
  serverClockOffsetMs: null,
  clockWarning: null,
};

/** The status `days` whole days into grace, `remaining` days of it left. */
function graceStatus(grace: 'early' | 'mid', days: number, remaining: number): AgentStatus {
  return { ...ACTIVE, validity: 'grace', grace, daysExpired: days, graceDaysRemaining: remaining, daysRemaining: -days - 1 };
}

describe('SHOW LICENSE', () => {
  it('returns the quotas as strings, "unlimited" for none', () => {
    expect(showLicenseRow(PRO, ACTIVE)).toMatchObject({
      max_materialized_views: '50',
      max_clusters: '5',
      max_result_rows: '1000000',
      max_joins: 'unlimited',
    });
  });

  it('returns expires_at as an ISO instant at seconds precision, without milliseconds', () => {
    expect(showLicenseRow(PRO, ACTIVE).expires_at).toBe('2027-12-31T23:59:59Z');
  });

  it('returns the whole row of an active Pro license, column for column', () => {
    expect(showLicenseRow(PRO, ACTIVE)).toEqual({
      license_type: 'Pro',
      trial: false,
      platform: 'PRODUCTION',
      max_materialized_views: '50',
      max_clusters: '5',
      max_result_rows: '1000000',
      max_joins: 'unlimited',
      expires_at: '2027-12-31T23:59:59Z',
      days_remaining: 400,
      status: 'Active',
    });
  });

  it('says "Pro (trial)" for a trial license', () => {
    expect(showLicenseRow({ ...PRO, trial: true }, ACTIVE)).toMatchObject({ license_type: 'Pro (trial)', trial: true });
  });

  it('returns the platform of a platform-scoped license', () => {
    expect(showLicenseRow({ ...PRO, platform: 'STAGING' }, ACTIVE).platform).toBe('STAGING');
  });

  it('returns "never" and -1 for a license without exp', () => {
    const perpetual = { ...PRO, expiresAt: null };
    expect(showLicenseRow(perpetual, { ...ACTIVE, expiresAt: null, daysRemaining: null })).toMatchObject({ expires_at: 'never', days_remaining: -1 });
  });

  it('returns Community defaults: quotas "1", "1", "10000", "2", never, -1, Active', () => {
    const community = { ...ACTIVE, mode: 'community' as const, tier: 'Community' as const, expiresAt: null, daysRemaining: null };
    expect(showLicenseRow(COMMUNITY_LICENSE, community)).toEqual({
      license_type: 'Community',
      trial: false,
      platform: 'PRODUCTION',
      max_materialized_views: '1',
      max_clusters: '1',
      max_result_rows: '10000',
      max_joins: '2',
      expires_at: 'never',
      days_remaining: -1,
      status: 'Active',
    });
  });

  it('says "Expired (3 days ago, in grace period)" in early grace', () => {
    expect(showLicenseRow({ ...PRO, grace: 'early' }, graceStatus('early', 3, 11)).status).toBe('Expired (3 days ago, in grace period)');
  });

  it('says "Expired (10 days ago, 4 days until Community fallback)" in mid grace', () => {
    expect(showLicenseRow({ ...PRO, grace: 'mid' }, graceStatus('mid', 10, 4)).status).toBe(
      'Expired (10 days ago, 4 days until Community fallback)',
    );
  });

  it('counts days_remaining toward zero in grace, as SoftClient4ES does: -3 three and a half days in', () => {
    expect(showLicenseRow({ ...PRO, grace: 'early' }, graceStatus('early', 3, 11)).days_remaining).toBe(-3);
  });

  it('returns 0, not -0, for days_remaining on the day of expiry', () => {
    expect(Object.is(showLicenseRow({ ...PRO, grace: 'early' }, graceStatus('early', 0, 14)).days_remaining, 0)).toBe(true);
  });

  it('shows a degraded server as "Community (degraded)" on Community terms: never, -1, Active', () => {
    const degradedLicense = { ...COMMUNITY_LICENSE, degraded: true, expiresAt: '2027-12-31T23:59:59.000Z', licenseId: 'lic-001' };
    const degraded: AgentStatus = {
      ...ACTIVE,
      validity: 'degraded',
      tier: 'Community',
      degraded: true,
      degradedFrom: { licenseId: 'lic-001', tier: 'Pro' },
      daysRemaining: -20,
    };
    expect(showLicenseRow(degradedLicense, degraded)).toEqual({
      license_type: 'Community (degraded)',
      trial: false,
      platform: 'PRODUCTION',
      max_materialized_views: '1',
      max_clusters: '1',
      max_result_rows: '10000',
      max_joins: '2',
      expires_at: 'never',
      days_remaining: -1,
      status: 'Active',
    });
  });
});

describe('REFRESH LICENSE', () => {
  it('returns Refreshed with an empty message on success, expires_at at seconds precision', () => {
    expect(refreshLicenseRow('Community', PRO, { ok: true, message: 'license refreshed: tier Pro' })).toEqual({
      previous_tier: 'Community',
      new_tier: 'Pro',
      trial: false,
      expires_at: '2027-12-31T23:59:59Z',
      status: 'Refreshed',
      message: '',
    });
  });

  it('returns Failed with the reason, and the previous tier as the new one', () => {
    expect(refreshLicenseRow('Pro', PRO, { ok: false, message: 'network error: connection refused' })).toEqual({
      previous_tier: 'Pro',
      new_tier: 'Pro',
      trial: false,
      expires_at: '2027-12-31T23:59:59Z',
      status: 'Failed',
      message: 'network error: connection refused',
    });
  });

  it('names the tier from before the attempt as new_tier when the refresh failed, whatever is in force', () => {
    expect(refreshLicenseRow('Enterprise', PRO, { ok: false, message: 'unexpected HTTP status 500' }).new_tier).toBe('Enterprise');
  });

  it('returns the Community refusal row: Community, Community, false, never, Failed', () => {
    expect(refreshLicenseRow('Community', COMMUNITY_LICENSE, { ok: false, message: 'License refresh is not supported in Community mode' })).toEqual({
      previous_tier: 'Community',
      new_tier: 'Community',
      trial: false,
      expires_at: 'never',
      status: 'Failed',
      message: 'License refresh is not supported in Community mode',
    });
  });

  it('reports the trial flag of the refreshed license', () => {
    expect(refreshLicenseRow('Pro', { ...PRO, trial: true }, { ok: true, message: '' })).toMatchObject({ trial: true, status: 'Refreshed' });
  });
});
