/**
 * Tokens in SoftClient4ES's own format, minted the way its `JwtTestHelper` mints them: header
 * `{ alg: 'EdDSA', kid: 'softclient4es-test' }` (no `typ`), lower-case `tier`, `quotas` with
 * `max_result_rows`, retired feature names among the features, and no `iat`. Signed with its
 * published test key, so each test states only what it changes.
 */
import { importJWK, SignJWT, type JWTHeaderParameters } from 'jose';
import { TEST_KEY_ID, TEST_PRIVATE_JWK } from '../fixtures/softclient4es-test-key.js';

export const SOFTCLIENT4ES_ISSUER = 'https://license.softclient4es.com';
const YEAR_SECONDS = 365 * 86_400;

/** A claim set; a claim given as `undefined` is left out of the token. */
export type Claims = Record<string, unknown>;

/** The Pro license of SoftClient4ES's test helper. */
export function proClaims(overrides: Claims = {}): Claims {
  return {
    iss: SOFTCLIENT4ES_ISSUER,
    sub: 'org-acme-123',
    tier: 'pro',
    features: ['materialized_views', 'jdbc_driver', 'unlimited_results', 'flight_sql'],
    quotas: { max_materialized_views: 50, max_result_rows: 1_000_000, max_concurrent_queries: 50, max_clusters: 5 },
    org_name: 'Acme Corp',
    jti: 'lic-001',
    trial: false,
    // The test helper's tokens expire in an hour; a year keeps these clear of the agent's
    // expiring-soon handling, which is not what these tests are about.
    exp: Math.floor(Date.now() / 1000) + YEAR_SECONDS,
    ...overrides,
  };
}

/** The Enterprise license of SoftClient4ES's test helper: every quota unlimited (`{}`). */
export function enterpriseClaims(overrides: Claims = {}): Claims {
  return proClaims({
    sub: 'org-bigcorp-456',
    tier: 'enterprise',
    features: [
      'materialized_views', 'jdbc_driver', 'odbc_driver', 'unlimited_results',
      'advanced_aggregations', 'flight_sql', 'federation',
    ],
    quotas: {},
    org_name: 'BigCorp Inc',
    jti: 'lic-002',
    // The test helper's Enterprise token carries no `trial` claim.
    trial: undefined,
    ...overrides,
  });
}

/** The Community license of SoftClient4ES's test helper: its own quotas, not Community's defaults. */
export function communityClaims(overrides: Claims = {}): Claims {
  return proClaims({
    sub: 'org-free-789',
    tier: 'community',
    features: ['materialized_views', 'jdbc_driver'],
    quotas: { max_materialized_views: 3, max_result_rows: 10_000, max_concurrent_queries: 5, max_clusters: 2 },
    org_name: 'Free User',
    jti: 'lic-003',
    trial: undefined,
    ...overrides,
  });
}

export interface HeaderOptions {
  /** The `kid`; `null` leaves it out. Default `softclient4es-test`. */
  readonly kid?: string | null;
}

/** Signs `claims` with SoftClient4ES's test key, in its test helper's header shape. */
export async function signWithTestKey(claims: Claims, options: HeaderOptions = {}): Promise<string> {
  const key = await importJWK(TEST_PRIVATE_JWK, 'EdDSA');
  const kid = options.kid === undefined ? TEST_KEY_ID : options.kid;
  const header: JWTHeaderParameters = kid === null ? { alg: 'EdDSA' } : { alg: 'EdDSA', kid };
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}
