/**
 * The license invariant: `status().validity`, the degraded flag, the tier and the `SHOW LICENSE`
 * row always tell the same story. One function states every rule; the fault suites run it on each
 * agent they start (see `license-invariant.setup.ts`), on each change and at the end of each test.
 * The rules are statements of agreement, read off the README's promises, not a copy of
 * `src/agent/status.ts`: a view that drifts from the others breaks one of them.
 */
import { COMMUNITY_QUOTAS, QUOTA_NAMES, type AgentStatus, type EffectiveLicense, type LicenseAgent, type ShowLicenseRow } from '../../../src/index.js';

/** What an operator or a server can read of the license in force, read at one moment. */
export interface LicenseFacts {
  readonly status: AgentStatus;
  readonly license: EffectiveLicense;
  readonly row: ShowLicenseRow;
}

export type LicenseViews = Pick<LicenseAgent, 'status' | 'license' | 'showLicense'>;

/** One rule: what must hold, and whether it does. */
type Rule = readonly [statement: string, holds: boolean];

export function readLicenseFacts(agent: LicenseViews): LicenseFacts {
  return { status: agent.status(), license: agent.license(), row: agent.showLicense() };
}

/** `status()` is built from the effective license: it must repeat it field for field. */
function statusMirrorsLicense({ status, license }: LicenseFacts): Rule[] {
  return [
    ['status().tier is license().tier', status.tier === license.tier],
    ['status().degraded is license().degraded', status.degraded === license.degraded],
    ['status().grace is license().grace', status.grace === license.grace],
    ['status().licenseId is license().licenseId', status.licenseId === license.licenseId],
    ['status().expiresAt is license().expiresAt', status.expiresAt === license.expiresAt],
    ['status().quotas are license().quotas', QUOTA_NAMES.every((name) => status.quotas[name] === license.quotas[name])],
    ['status().features are license().features', status.features.join() === license.features.join()],
  ];
}

/** The validity stage and the license's standing (degraded, grace, tier) say the same thing. */
function validityAgrees({ status, license }: LicenseFacts): Rule[] {
  const { validity } = status;
  const communityTerms = license.tier === 'Community' && !license.trial
    && QUOTA_NAMES.every((name) => license.quotas[name] === COMMUNITY_QUOTAS[name]);
  return [
    ['degraded exactly when validity is degraded', license.degraded === (validity === 'degraded')],
    ['a grace stage exactly when validity is grace', (license.grace !== 'none') === (validity === 'grace')],
    ['a degraded license runs on Community terms, remembering its id', !license.degraded || (communityTerms && license.licenseId !== null)],
    ['degradedFrom names the lapsed license exactly while degraded',
      license.degraded ? status.degradedFrom?.licenseId === license.licenseId : status.degradedFrom === null],
    ['no license is plain Community, valid',
      license.licenseId !== null || (communityTerms && !license.degraded && license.expiresAt === null && validity === 'valid')],
    ['only a license with an expiry leaves valid', validity === 'valid' || license.expiresAt !== null],
    ['days since expiry are told exactly in grace', (status.daysExpired !== undefined) === (validity === 'grace')],
  ];
}

const quotaText = (value: number | null): string => (value === null ? 'unlimited' : String(value));

/** An ISO instant truncated to whole seconds, as the row prints it. */
function toSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000) * 1000;
}

/** What the `status` column says for this validity. */
function expectedRowStatus(status: AgentStatus): string {
  if (status.validity !== 'grace') return 'Active';
  const left = status.grace === 'early' ? 'in grace period' : `${status.graceDaysRemaining} days until Community fallback`;
  return `Expired (${status.daysExpired} days ago, ${left})`;
}

/** The `SHOW LICENSE` row shows the license in force, and its expiry only while that expiry binds. */
function rowAgrees({ status, license, row }: LicenseFacts): Rule[] {
  const suffix = `${license.trial ? ' (trial)' : ''}${license.degraded ? ' (degraded)' : ''}`;
  const expiry = license.degraded ? null : license.expiresAt;
  const daysRemaining = expiry === null ? -1 : status.validity === 'grace' ? -(status.daysExpired ?? Number.NaN) : status.daysRemaining;
  return [
    ['the row names the tier, trial and degraded', row.license_type === `${license.tier}${suffix}`],
    ['the row trial is license().trial', row.trial === license.trial],
    ['the row platform is license().platform', row.platform === (license.platform ?? 'PRODUCTION')],
    ['the row quotas are license().quotas', row.max_clusters === quotaText(license.quotas.max_clusters)
      && row.max_joins === quotaText(license.quotas.max_joins)
      && row.max_materialized_views === quotaText(license.quotas.max_materialized_views)
      && row.max_result_rows === quotaText(license.quotas.max_query_results)],
    ['the row expiry is the binding expiry (never when degraded)',
      expiry === null ? row.expires_at === 'never' : Date.parse(row.expires_at) === toSeconds(expiry)],
    ['the row days remaining follow the validity', row.days_remaining === daysRemaining],
    ['the row status follows the validity', row.status === expectedRowStatus(status)],
  ];
}

function describeFacts({ status, license, row }: LicenseFacts): string {
  return JSON.stringify({
    validity: status.validity, state: status.state, tier: license.tier, degraded: license.degraded, grace: license.grace,
    licenseId: license.licenseId, expiresAt: license.expiresAt, daysRemaining: status.daysRemaining, daysExpired: status.daysExpired,
    row: { license_type: row.license_type, expires_at: row.expires_at, days_remaining: row.days_remaining, status: row.status },
  });
}

/**
 * The rules that `facts` break, each with what was seen; empty when the views agree.
 *
 * @example
 * ```ts
 * expect(licenseDisagreements(readLicenseFacts(agent))).toEqual([]);
 * ```
 */
export function licenseDisagreements(facts: LicenseFacts): string[] {
  const broken = [...statusMirrorsLicense(facts), ...validityAgrees(facts), ...rowAgrees(facts)].filter(([, holds]) => !holds);
  if (broken.length === 0) return [];
  const seen = describeFacts(facts);
  return broken.map(([statement]) => `${statement}: ${seen}`);
}
