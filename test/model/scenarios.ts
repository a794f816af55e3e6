/**
 * The starting points and the outside world of the agent model: start-up inputs, what a fetch may
 * answer, and how the wall clock may jump. The guards read the context (mode, refreshEnabled,
 * networkAllowed, needsFirstLicense, the license's `exp` and the grace period against now), so
 * one start cannot reach every transition: each scenario is a start-up input the agent can really
 * produce, and together they must reach every state and transition of both regions.
 *
 * The agent starts at midnight; licenses expire at 05:00, so that a license's stages do not begin on
 * the very instant of a daily refresh tick (ties still happen, and the model orders them).
 */
import type { VerifiedLicense } from '../../src/license/claims.js';
import { LicenseHttpError } from '../../src/errors.js';
import type { AgentInput, FetchOutput } from '../../machines/license-agent.machine.js';
import { T0 } from '../support/clocks.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Expiry instants fall at 05:00, the agent's ticks at midnight. */
const EXPIRY_HOUR = 5 * HOUR;

const REFRESH_URL = 'https://license.example.test/api/v1/licenses/refresh';

function license(id: string, options: { expiresAt: number | undefined; refreshUrl?: string; issuedAt?: number }): VerifiedLicense {
  return {
    jwt: `header.${id}.signature`,
    claims: {
      sub: id,
      tier: 'Pro',
      features: ['federation'],
      quotas: { max_materialized_views: 10, max_query_results: null, max_clusters: 3, max_joins: 5 },
      trial: false,
      iat: Math.floor((options.issuedAt ?? T0 - DAY) / 1000),
      exp: options.expiresAt === undefined ? undefined : Math.floor(options.expiresAt / 1000),
      refresh_url: options.refreshUrl,
      platform: 'linux',
    },
  };
}

/** A license expiring `days` days from T0 (negative: expired), at 05:00. */
function expiringIn(id: string, days: number, refreshUrl?: string): VerifiedLicense {
  return license(id, { expiresAt: T0 + days * DAY + EXPIRY_HOUR, ...(refreshUrl === undefined ? {} : { refreshUrl }) });
}

export interface FetchAnswer {
  readonly label: string;
  /** The license the server hands out when asked at `now` (`undefined`: 204, no change). */
  answerAt(now: number): FetchOutput;
}

/**
 * What a successful fetch may return. A license is issued when it is fetched, so its expiry is
 * relative to the instant of the fetch: "valid for a year" stays a year whenever it is asked.
 */
export const FETCH_OUTPUTS: readonly FetchAnswer[] = [
  { label: 'a license valid for a year', answerAt: (now) => license('renewed', { expiresAt: now + 365 * DAY, refreshUrl: REFRESH_URL, issuedAt: now }) },
  { label: 'a license still expiring within 48h', answerAt: (now) => license('short', { expiresAt: now + 40 * HOUR, refreshUrl: REFRESH_URL, issuedAt: now }) },
  { label: 'a license without refresh_url', answerAt: (now) => license('final', { expiresAt: now + 365 * DAY, issuedAt: now }) },
  { label: 'no change', answerAt: () => undefined },
];

/** What an operator may put in a license file while the agent runs: verified and within grace, or it is not sent. */
export const REPLACEMENTS: ReadonlyArray<{ readonly label: string; licenseAt(now: number): VerifiedLicense }> = [
  { label: 'a license file valid for a year, with refresh_url', licenseAt: (now) => license('file', { expiresAt: now + 365 * DAY, refreshUrl: REFRESH_URL, issuedAt: now }) },
  { label: 'a license file without refresh_url', licenseAt: (now) => license('file-offline', { expiresAt: now + 365 * DAY, issuedAt: now }) },
];

/** How a fetch may fail: a transient server error, and a rejection of the key or license. */
export const FETCH_ERRORS: ReadonlyArray<{ readonly label: string; readonly error: unknown }> = [
  { label: '503', error: new LicenseHttpError(503, 'license server answered 503') },
  { label: '401', error: new LicenseHttpError(401, 'license server answered 401') },
];

/**
 * How the wall clock may jump (`clock.wake`): a suspend moves it forward while the process's timers,
 * which run on a monotonic clock, stay pending for the time they had left; a clock set back moves it
 * backward.
 */
export const CLOCK_JUMPS: ReadonlyArray<{ readonly label: string; readonly ms: number }> = [
  { label: 'a 3-hour suspend', ms: 3 * HOUR },
  { label: 'a 10-day suspend', ms: 10 * DAY },
  { label: 'the clock set back 10 days', ms: -10 * DAY },
];

export interface Scenario {
  readonly name: string;
  readonly input: AgentInput;
  /**
   * The configured license came from a license file, which may change while the agent runs: the
   * model offers `license.replaced` at every step. Absent: no file, no such event.
   */
  readonly licenseFile?: true;
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
  needsFirstLicense: false,
} as const satisfies AgentInput;

/** API-key mode with a license fetched an hour before start-up and cached. */
function cached(license: VerifiedLicense, overrides: Partial<AgentInput> = {}): AgentInput {
  return { ...apiKey, license, lastRefreshAt: T0 - HOUR, ...overrides };
}

const cachedYearLicense = license('cached', { expiresAt: T0 + 365 * DAY });

/** The refresh region's starting points: modes, first start, refresh disabled, the 48-hour threshold. */
const REFRESH_SCENARIOS: readonly Scenario[] = [
  { name: 'API-key first start', input: { ...apiKey, needsFirstLicense: true } },
  { name: 'API-key with a cached license', input: cached(cachedYearLicense) },
  { name: 'API-key with a cached license expiring within 48h', input: cached(license('expiring', { expiresAt: T0 + 40 * HOUR })) },
  {
    name: 'API-key with a cached license crossing the 48h threshold before the next tick',
    input: cached(license('crossing', { expiresAt: T0 + 60 * HOUR })),
  },
  {
    name: 'static JWT with refresh_url',
    input: { ...apiKey, mode: 'static-jwt', license: license('static', { expiresAt: T0 + 365 * DAY, refreshUrl: REFRESH_URL }) },
  },
  { name: 'static JWT without refresh_url', input: { ...apiKey, mode: 'static-jwt', license: license('offline', { expiresAt: T0 + 365 * DAY }) } },
  { name: 'community', input: { ...apiKey, mode: 'community' } },
  {
    // SoftClient4ES's resolution: the configured JWT while it is usable, then the API key.
    name: 'static JWT in grace with an API key to fall back on',
    input: { ...apiKey, mode: 'static-jwt', apiKeyFallback: true, license: license('lapsing', { expiresAt: T0 - 13 * DAY }) },
  },
  { name: 'API-key with refresh disabled and a cached license', input: cached(cachedYearLicense, { refreshEnabled: false }) },
  { name: 'API-key with refresh disabled on first start', input: { ...apiKey, refreshEnabled: false, needsFirstLicense: true } },
];

/** The validity region's starting points: one per stage a license can start in, and the grace variants. */
const VALIDITY_SCENARIOS: readonly Scenario[] = [
  { name: 'API-key with a cached license expiring in 40 days', input: cached(expiringIn('month', 40)) },
  { name: 'API-key with a cached license expiring in 10 days', input: cached(expiringIn('fortnight', 10)) },
  { name: 'API-key with a cached license expiring in 3 days', input: cached(expiringIn('days', 3)) },
  { name: 'API-key with a cached license expiring in 1 day', input: cached(expiringIn('tomorrow', 1)) },
  { name: 'API-key with a cached license expired 2 days ago', input: cached(expiringIn('early', -2)) },
  { name: 'API-key with a cached license expired 10 days ago', input: cached(expiringIn('mid', -10)) },
  { name: 'API-key with a cached license expired 20 days ago', input: cached(expiringIn('degraded', -20)) },
  { name: 'API-key with a cached license without exp', input: cached(license('perpetual', { expiresAt: undefined })) },
  {
    name: 'API-key with a cached license expired 2 days ago and a 3-day grace period',
    input: cached(expiringIn('short-grace', -2), { gracePeriodMs: 3 * DAY }),
  },
  {
    name: 'a static JWT with refresh_url expiring in 40 days, network not allowed',
    input: { ...apiKey, mode: 'static-jwt', networkAllowed: false, license: expiringIn('no-network', 40, REFRESH_URL) },
  },
];

/**
 * The starts a license file can give (see `src/agent/startup.ts`): its JWT in force, with or without
 * `refresh_url`; past grace with an API key (the key fetches its first license); in grace with an API
 * key to fall back on; and a JWT that does not verify, with no API key (Community).
 */
const LICENSE_FILE_SCENARIOS: readonly Scenario[] = [
  {
    name: 'a license file with refresh_url',
    licenseFile: true,
    input: { ...apiKey, mode: 'static-jwt', license: license('from-file', { expiresAt: T0 + 365 * DAY, refreshUrl: REFRESH_URL }) },
  },
  {
    name: 'a license file without refresh_url',
    licenseFile: true,
    input: { ...apiKey, mode: 'static-jwt', license: license('from-file-offline', { expiresAt: T0 + 365 * DAY }) },
  },
  { name: 'a license file past grace, with an API key', licenseFile: true, input: { ...apiKey, needsFirstLicense: true } },
  {
    name: 'a license file in grace, with an API key to fall back on',
    licenseFile: true,
    input: { ...apiKey, mode: 'static-jwt', apiKeyFallback: true, license: license('from-file-lapsing', { expiresAt: T0 - 13 * DAY }) },
  },
  { name: 'a license file that does not verify', licenseFile: true, input: { ...apiKey, mode: 'community' } },
];

export const SCENARIOS: readonly Scenario[] = [...REFRESH_SCENARIOS, ...VALIDITY_SCENARIOS, ...LICENSE_FILE_SCENARIOS];
