/**
 * The license as the statechart holds it: the claims of a verified license JWT, typed. Only types
 * live here (reading and checking the claims is `src/license/claims.ts`'s job), so that the
 * statechart can speak of the license without depending on the code that verifies it.
 */

export type Tier = 'Community' | 'Pro' | 'Enterprise';

/**
 * Quota values: a number, or `null` for unlimited. The API calls the result-rows quota
 * `max_query_results`; in the JWT (and in SHOW LICENSE) it is `max_result_rows`.
 */
export interface Quotas {
  readonly max_materialized_views: number | null;
  readonly max_query_results: number | null;
  readonly max_clusters: number | null;
  readonly max_joins: number | null;
}
export type QuotaName = keyof Quotas;

/** The claims of a license JWT, as the agent uses them. Times are epoch seconds, as in the JWT. */
export interface LicenseClaims {
  /** The license id: the organisation the license is for (`org-acme-123`). */
  readonly sub: string;
  readonly tier: Tier;
  /** The known features the license grants, lower case, in the license's order. */
  readonly features: readonly string[];
  readonly quotas: Quotas;
  readonly trial: boolean;
  /** Absent in SoftClient4ES's tokens: the rollback check then has nothing to compare. */
  readonly iat: number | undefined;
  /** Absent: the license never expires. */
  readonly exp: number | undefined;
  readonly refresh_url: string | undefined;
  /** `PRODUCTION`, `STAGING`, `INTEGRATION` or `DEVELOPMENT` (upper case); absent means production. */
  readonly platform: string | undefined;
  /** The license number (`lic-001`). */
  readonly jti?: string | undefined;
  /** The organisation's display name. */
  readonly org_name?: string | undefined;
}

/** A license JWT that passed verification, with the claims read from it. */
export interface VerifiedLicense {
  readonly jwt: string;
  readonly claims: LicenseClaims;
}
