/**
 * The effective license: what the server may do right now. Built once per change, frozen, and
 * handed out as is by `agent.license()`, so that reading it costs a property access, not a parse.
 */
import { isoInstant } from '../instant.js';
import { COMMUNITY_QUOTAS, KNOWN_FEATURES, expiresAtMs, type Quotas, type Tier, type VerifiedLicense } from './claims.js';

/** The part of grace an expired license is in: `early` (the first half of the grace period), `mid` (the rest); `none` outside grace. */
export type GraceStage = 'none' | 'early' | 'mid';

/** What `agent.license()` returns: the terms the server runs on right now. Frozen. */
export interface EffectiveLicense {
  /** The tier in force. */
  readonly tier: Tier;
  /** The features in force, lower case (`materialized_views`, `federation`, ...). */
  readonly features: readonly string[];
  /** The quotas in force; `null` for unlimited. */
  readonly quotas: Quotas;
  /** Whether the license is a trial. */
  readonly trial: boolean;
  /** The platform the license is scoped to, or `null` when it is not. */
  readonly platform: string | null;
  /** ISO 8601 expiry of the license in force, or `null` when it never expires (or is Community). */
  readonly expiresAt: string | null;
  /** True when a paid license has lapsed and the server runs as Community. */
  readonly degraded: boolean;
  /** The part of grace the license is in; `none` outside grace. */
  readonly grace: GraceStage;
  /** The license id behind this, or `null` for plain Community. */
  readonly licenseId: string | null;
}

/** The terms with no license: Community's tier and quotas, every feature, no expiry. */
export const COMMUNITY_LICENSE: EffectiveLicense = Object.freeze({
  tier: 'Community',
  // SoftClient4ES's Community has every feature; its quotas are what set the tiers apart.
  features: KNOWN_FEATURES,
  quotas: COMMUNITY_QUOTAS,
  trial: false,
  platform: null,
  expiresAt: null,
  degraded: false,
  grace: 'none',
  licenseId: null,
});

/**
 * Where the license in force stands, as the validity region of the statechart says: `valid`,
 * `expiringSoon` (under 48 hours left), `grace` (expired, within the grace period) or `degraded`.
 *
 * @inline
 */
export type ValidityStage = 'valid' | 'expiringSoon' | 'grace' | 'degraded';

/**
 * The effective license: the license's own terms while it is valid, expiring or in grace; Community
 * terms (remembering what it was) once degraded.
 */
export function effectiveLicense(license: VerifiedLicense | undefined, stage: ValidityStage, grace: GraceStage): EffectiveLicense {
  if (!license) return COMMUNITY_LICENSE;
  const { claims } = license;
  const expiresAt = isoInstant(expiresAtMs(claims));
  if (stage === 'degraded') {
    return Object.freeze({ ...COMMUNITY_LICENSE, degraded: true, expiresAt, licenseId: claims.sub });
  }
  return Object.freeze({
    tier: claims.tier,
    features: claims.features,
    quotas: claims.quotas,
    trial: claims.trial,
    platform: claims.platform ?? null,
    expiresAt,
    degraded: false,
    grace: stage === 'grace' ? grace : 'none',
    licenseId: claims.sub,
  });
}

/**
 * The features as a frozen lookup record, for `hasFeature()`: built with the license, so that each
 * call is one property read (a `Set` lookup costs ten times more). A plain object keeps V8's fast
 * properties; a name inherited from `Object.prototype` is never `=== true`, so it reads as absent.
 */
export function featureSet(license: EffectiveLicense): Readonly<Record<string, true>> {
  return Object.freeze(Object.fromEntries(license.features.map((feature) => [feature, true] as const)));
}
