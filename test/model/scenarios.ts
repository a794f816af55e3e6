/**
 * The starting points and the answers of the refresh model. The refresh region's guards read the
 * context (mode, refreshEnabled, awaitingFirstLicense, the license's `exp` against now), so one start
 * cannot reach every transition: each scenario is a start-up input the agent can really produce, and
 * together they must reach every state and transition.
 */
import type { VerifiedLicense } from '../../src/license/claims.js';
import { LicenseHttpError } from '../../src/errors.js';
import type { AgentInput, FetchOutput } from '../../machines/license-agent.machine.js';

export const T0 = Date.UTC(2030, 0, 1);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const REFRESH_URL = 'https://license.example.test/v1/license/refresh';

function license(id: string, options: { expiresAt: number | undefined; refreshUrl?: string }): VerifiedLicense {
  return {
    jwt: `header.${id}.signature`,
    claims: {
      sub: id,
      tier: 'Pro',
      features: ['joins'],
      quotas: { max_materialized_views: 10, max_query_results: null, max_clusters: 3, max_joins: 5 },
      trial: false,
      iat: Math.floor((T0 - DAY) / 1000),
      exp: options.expiresAt === undefined ? undefined : Math.floor(options.expiresAt / 1000),
      refresh_url: options.refreshUrl,
      platform: 'linux',
    },
  };
}

/** What a successful fetch may return (`undefined`: the refresh endpoint answered 204, no change). */
export const FETCH_OUTPUTS: ReadonlyArray<{ readonly label: string; readonly output: FetchOutput }> = [
  { label: 'a license valid for a year', output: license('renewed', { expiresAt: T0 + 365 * DAY, refreshUrl: REFRESH_URL }) },
  { label: 'a license still expiring within 48h', output: license('short', { expiresAt: T0 + 40 * HOUR, refreshUrl: REFRESH_URL }) },
  { label: 'a license without refresh_url', output: license('final', { expiresAt: T0 + 365 * DAY }) },
  { label: 'no change', output: undefined },
];

/** How a fetch may fail: a transient server error, and a rejection of the key or license. */
export const FETCH_ERRORS: ReadonlyArray<{ readonly label: string; readonly error: unknown }> = [
  { label: '503', error: new LicenseHttpError(503, 'license server answered 503') },
  { label: '401', error: new LicenseHttpError(401, 'license server answered 401') },
];

export interface Scenario {
  readonly name: string;
  readonly input: AgentInput;
}

const apiKey = {
  mode: 'api-key',
  refreshEnabled: true,
  networkAllowed: true,
  gracePeriodMs: 14 * DAY,
  intervalMs: DAY,
  jitter: 0.05,
  license: undefined,
  lastRefreshAt: undefined,
  awaitingFirstLicense: false,
} as const satisfies AgentInput;

const cachedYearLicense = license('cached', { expiresAt: T0 + 365 * DAY });

export const SCENARIOS: readonly Scenario[] = [
  { name: 'API-key first start', input: { ...apiKey, awaitingFirstLicense: true } },
  { name: 'API-key with a cached license', input: { ...apiKey, license: cachedYearLicense, lastRefreshAt: T0 - HOUR } },
  {
    name: 'API-key with a cached license expiring within 48h',
    input: { ...apiKey, license: license('expiring', { expiresAt: T0 + 40 * HOUR }), lastRefreshAt: T0 - HOUR },
  },
  {
    name: 'API-key with a cached license crossing the 48h threshold before the next tick',
    input: { ...apiKey, license: license('crossing', { expiresAt: T0 + 60 * HOUR }), lastRefreshAt: T0 - HOUR },
  },
  {
    name: 'static JWT with refresh_url',
    input: { ...apiKey, mode: 'static-jwt', license: license('static', { expiresAt: T0 + 365 * DAY, refreshUrl: REFRESH_URL }) },
  },
  {
    name: 'static JWT without refresh_url',
    input: { ...apiKey, mode: 'static-jwt', license: license('offline', { expiresAt: T0 + 365 * DAY }) },
  },
  { name: 'community', input: { ...apiKey, mode: 'community' } },
  {
    name: 'API-key with refresh disabled and a cached license',
    input: { ...apiKey, refreshEnabled: false, license: cachedYearLicense, lastRefreshAt: T0 - HOUR },
  },
  { name: 'API-key with refresh disabled on first start', input: { ...apiKey, refreshEnabled: false, awaitingFirstLicense: true } },
];
