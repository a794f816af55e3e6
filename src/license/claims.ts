/**
 * The license claims: their types, their reading from a verified JWT payload, and the Community
 * license a server runs on when it has no valid paid one.
 *
 * Claims are read as SoftClient4ES reads them, so that a license it issues works here unchanged:
 * `tier`, `features` and `platform` are case-insensitive, an unknown tier is Community, an unknown
 * feature is ignored (a retired one must not cost a customer the license), `iat` is optional, and
 * the result-rows quota is `max_result_rows` (or `max_query_results`, as our own issuer wrote it).
 * Only what could make the server do the wrong thing is refused: a missing `sub`, a quota that is
 * not a count, a date that is not a number.
 */
import { LicenseVerificationError } from '../errors.js';
import type { LicenseClaims, QuotaName, Quotas, Tier } from '../../machines/license.js';

export type { LicenseClaims, QuotaName, Quotas, Tier, VerifiedLicense } from '../../machines/license.js';

/** The tiers, lowest first. A license naming any other tier is read as Community. */
export const TIERS: readonly Tier[] = ['Community', 'Pro', 'Enterprise'];

/** The features SoftClient4ES knows; any other string in a license is ignored. */
export const KNOWN_FEATURES = Object.freeze([
  'materialized_views',
  'jdbc_driver',
  'adbc_driver',
  'flight_sql',
  'federation',
  'repl',
] as const);
export type Feature = (typeof KNOWN_FEATURES)[number];

/** The quotas a license sets, as `agent.quota(name)` takes them. */
export const QUOTA_NAMES: readonly QuotaName[] = [
  'max_materialized_views',
  'max_query_results',
  'max_clusters',
  'max_joins',
];

/** The claim names each quota is read from, first match wins. */
const QUOTA_CLAIMS: Readonly<Record<QuotaName, readonly string[]>> = {
  max_materialized_views: ['max_materialized_views'],
  max_query_results: ['max_result_rows', 'max_query_results'],
  max_clusters: ['max_clusters'],
  max_joins: ['max_joins'],
};

const quotas = (views: number | null, rows: number | null, clusters: number | null, joins: number | null): Quotas =>
  Object.freeze({ max_materialized_views: views, max_query_results: rows, max_clusters: clusters, max_joins: joins });

/** Community's quotas: 1 materialized view, 10,000 result rows, 1 cluster, 2 joins. */
export const COMMUNITY_QUOTAS: Quotas = quotas(1, 10_000, 1, 2);

/** Each tier's quotas, for a license that carries no `quotas` claim. */
export const TIER_QUOTAS: Readonly<Record<Tier, Quotas>> = Object.freeze({
  Community: COMMUNITY_QUOTAS,
  Pro: quotas(50, 1_000_000, 5, 5),
  Enterprise: quotas(null, null, null, null),
});

function fail(claim: string, reason: string): never {
  throw new LicenseVerificationError(`license claim "${claim}" ${reason}`, { claim });
}

/** `pro`, ` PRO `, `Pro`: Pro. Anything that is not a tier's name is Community. */
export function readTier(value: unknown): Tier {
  const word = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return TIERS.find((tier) => tier.toLowerCase() === word) ?? 'Community';
}

/** A license without the claim has every feature: Community itself has all six. */
function readFeatures(value: unknown): readonly Feature[] {
  if (value === undefined || value === null) return KNOWN_FEATURES;
  if (!Array.isArray(value)) fail('features', 'must be an array of strings');
  const known = new Set<Feature>();
  for (const item of value) {
    const name = typeof item === 'string' ? item.trim().toLowerCase() : '';
    if ((KNOWN_FEATURES as readonly string[]).includes(name)) known.add(name as Feature);
  }
  return Object.freeze([...known]);
}

function readQuota(claims: Record<string, unknown>, name: QuotaName): number | null {
  for (const claim of QUOTA_CLAIMS[name]) {
    const value = claims[claim];
    if (value === undefined) continue;
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      fail(`quotas.${claim}`, 'must be a non-negative integer or null');
    }
    return value;
  }
  return null;
}

/** The license's own quotas (a missing or `null` entry is unlimited), or its tier's without the claim. */
function readQuotas(value: unknown, tier: Tier): Quotas {
  if (value === undefined || value === null) return TIER_QUOTAS[tier];
  if (typeof value !== 'object' || Array.isArray(value)) fail('quotas', 'must be an object');
  const claims = value as Record<string, unknown>;
  return quotas(
    readQuota(claims, 'max_materialized_views'),
    readQuota(claims, 'max_query_results'),
    readQuota(claims, 'max_clusters'),
    readQuota(claims, 'max_joins'),
  );
}

function readOptionalString(payload: Record<string, unknown>, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(claim, 'must be a non-empty string');
  return value;
}

/** Upper case, as SoftClient4ES names its platforms; blank is absent (production). */
function readPlatform(payload: Record<string, unknown>): string | undefined {
  return readOptionalString(payload, 'platform')?.trim().toUpperCase() || undefined;
}

/** The last second a JavaScript `Date` can hold (8.64e15 ms after the epoch): 13 September 275760. */
export const MAX_DATE_SECONDS = 8.64e12;

/**
 * A time claim, in seconds since the epoch, checked before anything computes a date from it: a
 * signed `exp` of 1e13 is a number, but `new Date(1e16)` is invalid and its `toISOString()` throws.
 */
function readSeconds(payload: Record<string, unknown>, claim: 'iat' | 'exp' | 'nbf'): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(claim, 'must be a number (seconds since the epoch)');
  if (value < 0 || value > MAX_DATE_SECONDS) {
    fail(claim, `is out of range: ${value} is not between 0 and ${MAX_DATE_SECONDS} seconds since the epoch`);
  }
  return value;
}

/**
 * Reads the license claims from a JWT payload whose signature (and `iss`) was already verified.
 * Throws {@link LicenseVerificationError} naming the claim that is missing or malformed.
 */
export function parseClaims(payload: Record<string, unknown>): LicenseClaims {
  const { sub, trial } = payload;
  if (typeof sub !== 'string' || sub.length === 0) fail('sub', 'must be a non-empty string (the license id)');
  if (trial !== undefined && typeof trial !== 'boolean') fail('trial', 'must be a boolean');
  const tier = readTier(payload['tier']);
  // `nbf` is not kept (jose has checked it against the clock), only held to the same range.
  readSeconds(payload, 'nbf');
  return Object.freeze({
    sub,
    tier,
    features: readFeatures(payload['features']),
    quotas: readQuotas(payload['quotas'], tier),
    trial: trial ?? false,
    iat: readSeconds(payload, 'iat'),
    exp: readSeconds(payload, 'exp'),
    refresh_url: readOptionalString(payload, 'refresh_url'),
    platform: readPlatform(payload),
    jti: readOptionalString(payload, 'jti'),
    org_name: readOptionalString(payload, 'org_name'),
  });
}

/** Milliseconds since the epoch at which the license expires, or `undefined` when it never does. */
export { expiresAtMs } from '../../machines/validity.js';
