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
  /** Materialized views active at once (Community: 1); `null`: unlimited. */
  readonly max_materialized_views: number | null;
  /** Rows a query may return (Community: 10,000); `max_result_rows` in the JWT. `null`: unlimited. */
  readonly max_query_results: number | null;
  /** Clusters connected at once (Community: 1); `null`: unlimited. */
  readonly max_clusters: number | null;
  /** Joins allowed (Community: 2); `null`: unlimited. */
  readonly max_joins: number | null;
}
/** A quota's name, as `agent.quota(name)` takes it: `'max_clusters'`, `'max_query_results'`, ... */
export type QuotaName = keyof Quotas;

/** The claims of a license JWT, as the agent uses them. Times are epoch seconds, as in the JWT. */
export interface LicenseClaims {
  /** The license id: the organisation the license is for (`org-acme-123`). */
  readonly sub: string;
  /** The tier the license grants; a `tier` claim that names none is Community. */
  readonly tier: Tier;
  /** The known features the license grants, lower case, in the license's order. */
  readonly features: readonly string[];
  /** The license's own quotas (a missing entry is unlimited), or its tier's when it has no `quotas` claim. */
  readonly quotas: Quotas;
  /** A trial license (`Pro (trial)` in SHOW LICENSE). Default `false`. */
  readonly trial: boolean;
  /** Absent in SoftClient4ES's tokens: the rollback check then has nothing to compare. */
  readonly iat: number | undefined;
  /** Absent: the license never expires. */
  readonly exp: number | undefined;
  /** Where static-JWT mode refreshes the license; absent: it is never refreshed. */
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
  /** The JWT as it was verified (compact form), sent as the bearer token of its refreshes. */
  readonly jwt: string;
  /** What the JWT says, read and checked. */
  readonly claims: LicenseClaims;
}
