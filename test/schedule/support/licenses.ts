/**
 * Licenses for the validity tests: a paid license with features and finite quotas (so that keeping
 * or losing them is visible), minted by the world's reference server with a chosen expiry.
 */
import type { LicenseServer, LicenseTemplate } from '../../../src/issuer/index.js';
import type { LogLine } from '../../support/logs.js';
import { DAY, T0 } from './world.js';

export const PAID_QUOTAS = { max_materialized_views: 50, max_query_results: 1_000_000, max_clusters: 5, max_joins: 20 } as const;
export const COMMUNITY_QUOTAS = { max_materialized_views: 1, max_query_results: 10_000, max_clusters: 1, max_joins: 2 } as const;

export const PAID: LicenseTemplate = {
  sub: 'lic-paid',
  tier: 'Enterprise',
  features: ['federation', 'materialized_views'],
  quotas: PAID_QUOTAS,
};

/**
 * A license JWT expiring `expiresIn` ms after T0 (negative: already expired at T0; `null`: never),
 * issued 30 days before it expires (or a day before T0), so that its `iat` is never in the future.
 */
export function mintExpiring(server: LicenseServer, expiresIn: number | null, template: Partial<LicenseTemplate> = {}): Promise<string> {
  const issuedAt = expiresIn === null ? T0 - DAY : Math.min(T0 - DAY, T0 + expiresIn - 30 * DAY);
  const expiry = expiresIn === null ? { validFor: null } : { exp: (T0 + expiresIn) / 1000 };
  return server.mint({ ...PAID, ...expiry, ...template }, issuedAt);
}

/** The log lines of the validity region: they, and only they, name the end of grace. */
export function validityLines(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line['graceEndsAt'] !== undefined);
}

export const iso = (at: number) => new Date(at).toISOString();
