/**
 * Minting license JWTs from templates, in SoftClient4ES's own format: `iss`, `sub` (the
 * organisation), `jti` (the license number), `org_name`, a lower-case `tier`, and `quotas` keyed as
 * SoftClient4ES keys them (`max_result_rows`). Unlike SoftClient4ES's test helper we also write
 * `iat`, as its later tokens may: the agent's rollback check uses it when present. Signed with the
 * issuer's key; times are controlled by the caller so simulated time can drive them.
 */
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import type { Quotas, Tier } from '../license/claims.js';
import { DEFAULT_ISSUER } from '../license/keys.js';
import type { IssuerKeys } from './keys.js';

/** Default lifetime of a minted license: 30 days. */
export const DEFAULT_VALIDITY_MS = 30 * 24 * 60 * 60 * 1000;

/** What a license should say; everything but `sub` and `tier` has a default. */
export interface LicenseTemplate {
  /** The license id: the organisation (`org-acme-123`). */
  readonly sub: string;
  /** The tier; written lower case, as SoftClient4ES writes it. */
  readonly tier: Tier;
  /** The license number; default `lic-<sub>`. */
  readonly jti?: string;
  /** The organisation's display name; default the `sub`. */
  readonly org_name?: string;
  /** Default `https://license.softclient4es.com`. */
  readonly iss?: string;
  /** Absent: no `features` claim, which reads as every feature. */
  readonly features?: readonly string[];
  /** Missing quota names are unlimited (`null`), as a paid license usually is. */
  readonly quotas?: Partial<Quotas>;
  /** Default `false`. */
  readonly trial?: boolean;
  /** The platform the license is scoped to; absent: no `platform` claim (any platform). */
  readonly platform?: string;
  /** Where the agent refreshes a static license (`server.refreshUrl`); absent: it cannot be refreshed. */
  readonly refresh_url?: string;
  /** Milliseconds from `iat` until `exp`; `null` mints a license that never expires. Default 30 days. */
  readonly validFor?: number | null;
  /** Issued-at in epoch seconds, overriding the one derived from `now`. */
  readonly iat?: number;
  /** Expiry in epoch seconds, overriding the one derived from `validFor`. */
  readonly exp?: number;
  /** Further claims, merged last: they can override any claim above, to forge malformed licenses. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** When a license is minted: `iat` and `exp` follow from it. */
export interface MintOptions {
  /** Now, in milliseconds since the epoch. */
  readonly now: number;
}

const UNLIMITED_QUOTAS: Quotas = Object.freeze({
  max_materialized_views: null,
  max_query_results: null,
  max_clusters: null,
  max_joins: null,
});

/** The quotas as the JWT carries them: the result-rows quota is `max_result_rows` there. */
function quotaClaims(quotas: Quotas): Record<string, number | null> {
  const { max_query_results, ...rest } = quotas;
  return { ...rest, max_result_rows: max_query_results };
}

/** The claims a template stands for at `now` (ms), before signing. */
export function templateClaims(template: LicenseTemplate, now: number): JWTPayload {
  const iat = template.iat ?? Math.floor(now / 1000);
  const validFor = template.validFor === undefined ? DEFAULT_VALIDITY_MS : template.validFor;
  const exp = template.exp ?? (validFor === null ? undefined : iat + Math.floor(validFor / 1000));
  return {
    iss: template.iss ?? DEFAULT_ISSUER,
    sub: template.sub,
    jti: template.jti ?? `lic-${template.sub}`,
    org_name: template.org_name ?? template.sub,
    tier: template.tier.toLowerCase(),
    // No features in the template: no claim, which SoftClient4ES reads as every feature.
    ...(template.features === undefined ? {} : { features: [...template.features] }),
    quotas: quotaClaims({ ...UNLIMITED_QUOTAS, ...template.quotas }),
    trial: template.trial ?? false,
    iat,
    // Optional claims are left out rather than set to undefined: absence is what "no exp" means.
    ...(exp === undefined ? {} : { exp }),
    ...(template.platform === undefined ? {} : { platform: template.platform }),
    ...(template.refresh_url === undefined ? {} : { refresh_url: template.refresh_url }),
    ...template.extra,
  };
}

/**
 * Signs a license JWT (`EdDSA`, header `kid` and `typ: 'JWT'`) from a template.
 *
 * @example
 * ```ts
 * const jwt = await mintLicense(keys, { sub: 'lic-1', tier: 'Pro', validFor: 3_600_000 }, { now: Date.now() });
 * ```
 */
export async function mintLicense(keys: IssuerKeys, template: LicenseTemplate, options: MintOptions): Promise<string> {
  return new SignJWT(templateClaims(template, options.now))
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'JWT' })
    .sign(keys.privateKey);
}

/**
 * Reads a JWT's claims without verifying it: for tests that inspect what was minted.
 *
 * @example
 * ```ts
 * expect(decodeLicenseClaims(jwt).sub).toBe('lic-1');
 * ```
 */
export function decodeLicenseClaims(jwt: string): JWTPayload {
  return decodeJwt(jwt);
}
