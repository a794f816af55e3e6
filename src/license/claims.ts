/**
 * The license claims: their types, their parsing from a verified JWT payload, and the Community
 * license a server runs on when it has no valid paid one.
 */
import { LicenseVerificationError } from '../errors.js';

export type Tier = 'Community' | 'Pro' | 'Enterprise';
export const TIERS: readonly Tier[] = ['Community', 'Pro', 'Enterprise'];

/** Quota values: a number, or `null` for unlimited. */
export interface Quotas {
  readonly max_materialized_views: number | null;
  readonly max_query_results: number | null;
  readonly max_clusters: number | null;
  readonly max_joins: number | null;
}
export type QuotaName = keyof Quotas;
export const QUOTA_NAMES: readonly QuotaName[] = [
  'max_materialized_views',
  'max_query_results',
  'max_clusters',
  'max_joins',
];

/** The claims of a license JWT, as the agent uses them. Times are epoch seconds, as in the JWT. */
export interface LicenseClaims {
  /** The license id. */
  readonly sub: string;
  readonly tier: Tier;
  readonly features: readonly string[];
  readonly quotas: Quotas;
  readonly trial: boolean;
  readonly iat: number;
  /** Absent: the license never expires. */
  readonly exp: number | undefined;
  readonly refresh_url: string | undefined;
  readonly platform: string | undefined;
}

/** A license JWT that passed verification, with the claims read from it. */
export interface VerifiedLicense {
  readonly jwt: string;
  readonly claims: LicenseClaims;
}

export const COMMUNITY_QUOTAS: Quotas = Object.freeze({
  max_materialized_views: 1,
  max_query_results: 10_000,
  max_clusters: 1,
  max_joins: 2,
});

function fail(claim: string, reason: string): never {
  throw new LicenseVerificationError(`license claim "${claim}" ${reason}`, { claim });
}

function readQuota(quotas: Record<string, unknown>, name: QuotaName): number | null {
  const value = quotas[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(`quotas.${name}`, 'must be a non-negative integer or null');
  }
  return value;
}

function readQuotas(value: unknown): Quotas {
  if (value === undefined) return COMMUNITY_QUOTAS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('quotas', 'must be an object');
  const quotas = value as Record<string, unknown>;
  return Object.freeze({
    max_materialized_views: readQuota(quotas, 'max_materialized_views'),
    max_query_results: readQuota(quotas, 'max_query_results'),
    max_clusters: readQuota(quotas, 'max_clusters'),
    max_joins: readQuota(quotas, 'max_joins'),
  });
}

function readOptionalString(payload: Record<string, unknown>, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(claim, 'must be a non-empty string');
  return value;
}

/**
 * Reads the license claims from a JWT payload whose signature was already verified.
 * Throws {@link LicenseVerificationError} naming the claim that is missing or malformed.
 */
export function parseClaims(payload: Record<string, unknown>): LicenseClaims {
  const { sub, tier, features, trial, iat, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0) fail('sub', 'must be a non-empty string (the license id)');
  if (typeof tier !== 'string' || !TIERS.includes(tier as Tier)) fail('tier', `must be one of ${TIERS.join(', ')}`);
  if (features !== undefined && (!Array.isArray(features) || features.some((f) => typeof f !== 'string'))) {
    fail('features', 'must be an array of strings');
  }
  if (trial !== undefined && typeof trial !== 'boolean') fail('trial', 'must be a boolean');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('iat', 'must be a number (seconds since the epoch)');
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) fail('exp', 'must be a number');
  return Object.freeze({
    sub,
    tier: tier as Tier,
    features: Object.freeze([...((features as string[] | undefined) ?? [])]),
    quotas: readQuotas(payload['quotas']),
    trial: trial ?? false,
    iat,
    exp,
    refresh_url: readOptionalString(payload, 'refresh_url'),
    platform: readOptionalString(payload, 'platform'),
  });
}

/** Milliseconds since the epoch at which the license expires, or `undefined` when it never does. */
export function expiresAtMs(claims: LicenseClaims): number | undefined {
  return claims.exp === undefined ? undefined : claims.exp * 1000;
}
