/**
 * The fleet under an outage (issue 12): statechart actors on one simulated clock, with licenses in
 * every phase of their life, whose license server is down for some hours and then returns. Shared
 * by the benchmark (`bench/suites/outage.ts`, on the built modules) and its guard in `npm test`
 * (`test/schedule/fleet-outage.test.ts`, on the sources): the caller passes the actor factory, so
 * that each exercises the code it means to. What the license side saw is read by `outage-figures.ts`.
 *
 * The fleet is built to be in its steady state when the server goes down, not in lockstep: each
 * licensed agent starts from a cached license refreshed a random part of its cadence ago, and the
 * outage begins two days later, so that every agent whose license nears its end has crossed into
 * the 48-hour window at its own instant (the window is entered at `exp − 48 h`, not at start-up).
 */
import type { FetchInput, FetchOutput, MachineInput } from '../../machines/context.js';
import type { VerifiedLicense } from '../../src/license/claims.js';
import { DAY, T0 } from './fixtures.js';
import { FleetClock } from './fleet-clock.js';
import { seededRandom } from '../../test/support/random.js';

export const HOUR = 3_600_000;
/** From the fleet's start to the outage: long enough for every window crossing to have its own instant. */
export const WARMUP_MS = 2 * DAY;
/** The fleet is watched for one refresh interval after recovery: every agent's next regular tick. */
export const AFTER_RECOVERY_MS = DAY;
/** How long a license the server issues runs (never past the subscription's end). */
const LICENSE_MS = 30 * DAY;

/**
 * - `forcedWindow`: the subscription ends within 54 h of the outage's start, so the license is
 *   inside the 48-hour forced-refresh window during the outage (one in nine expires during it);
 * - `lastWeek`: it ends later in the week: refreshes every 6 hours, no forced refresh yet;
 * - `firstStart`: a new install started during the outage's first hour, with no license yet;
 * - `longTerm`: the rest, on a 30-day license refreshed daily.
 */
export type Cohort = 'forcedWindow' | 'lastWeek' | 'firstStart' | 'longTerm';
export const COHORTS: readonly Cohort[] = ['forcedWindow', 'lastWeek', 'firstStart', 'longTerm'];

export interface OutageScenario {
  readonly fleet: number;
  readonly outageMs: number;
  /** False for the control run: the same fleet, the server never down. */
  readonly down: boolean;
  /** Shares of the fleet; `longTerm` is the rest. */
  readonly shares: Readonly<Record<Exclude<Cohort, 'longTerm'>, number>>;
  readonly seed: number;
}

export const DEFAULT_SHARES = { forcedWindow: 0.1, lastWeek: 0.1, firstStart: 0.02 } as const;

export type FetchAnswer = (input: FetchInput) => Promise<FetchOutput>;

/** The statechart actor the caller builds for one agent (`createAgentActor` with these effects). */
export type CreateOutageActor = (fetchLicense: FetchAnswer, input: MachineInput, clock: FleetClock) => { start(): unknown; stop(): unknown };

/** What the license side saw: every request, in order, and who made it. */
export interface OutageLog {
  readonly scenario: OutageScenario;
  readonly outageStart: number;
  readonly recoveryAt: number;
  /** Per agent: its cohort, as an index into `COHORTS`. */
  readonly cohortOf: Uint8Array;
  /** Per agent: when its subscription ends (Infinity: it does not). */
  readonly endOf: Float64Array;
  readonly requestAt: readonly number[];
  readonly requestAgent: readonly number[];
  /** Per request: a forced refresh (true) or a regular tick (false). */
  readonly requestForced: readonly boolean[];
  /** Per agent: its first successful refresh at or after recovery (NaN: none in the window). */
  readonly backAt: Float64Array;
  readonly elapsedMs: number;
}


function licenseAt(issuedAt: number, expiresAt: number): VerifiedLicense {
  const iat = Math.floor(issuedAt / 1000);
  return Object.freeze({
    jwt: `outage-fleet-${iat}`,
    claims: {
      sub: 'lic-outage',
      tier: 'Pro' as const,
      features: [],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
      trial: false,
      iat,
      exp: Math.floor(expiresAt / 1000),
      refresh_url: undefined,
      platform: undefined,
    },
  });
}

/** A refused connection, as the net layer reports it: no status, no Retry-After. */
function connectionRefused(): Error {
  return Object.assign(new Error('license server unreachable: connect ECONNREFUSED'), { code: 'ERR_LICENSE_NETWORK' });
}

function cohortAt(index: number, scenario: OutageScenario): Cohort {
  const { forcedWindow, lastWeek, firstStart } = scenario.shares;
  const share = index / scenario.fleet;
  if (share < forcedWindow) return 'forcedWindow';
  if (share < forcedWindow + lastWeek) return 'lastWeek';
  if (share < forcedWindow + lastWeek + firstStart) return 'firstStart';
  return 'longTerm';
}

/** When the agent's subscription ends, from the outage's start `start` (Infinity: it does not). */
function subscriptionEnd(cohort: Cohort, start: number, random: () => number): number {
  if (cohort === 'forcedWindow') return start + random() * 54 * HOUR;
  if (cohort === 'lastWeek') return start + 54 * HOUR + random() * (7 * DAY - 54 * HOUR);
  return Number.POSITIVE_INFINITY;
}

const BASE_INPUT = {
  mode: 'api-key' as const,
  refreshEnabled: true,
  networkAllowed: true,
  intervalMs: DAY,
  jitter: 0.05,
  gracePeriodMs: 14 * DAY,
};

/**
 * A licensed agent's start: its last refresh a random part of its cadence ago (6 hours inside the
 * license's last week, else the interval), so that the fleet's ticks are spread as after weeks of
 * running; a first start has nothing on record and fetches at once.
 */
function agentInput(cohort: Cohort, end: number, time: MachineInput['time']): MachineInput {
  if (cohort === 'firstStart') return { ...BASE_INPUT, time, license: undefined, lastRefreshAt: undefined, needsFirstLicense: true };
  const cadence = end - T0 <= 7 * DAY ? 6 * HOUR : DAY;
  const lastRefreshAt = T0 - time.random() * cadence;
  const license = licenseAt(lastRefreshAt, Math.min(lastRefreshAt + LICENSE_MS, end));
  return { ...BASE_INPUT, time, license, lastRefreshAt, needsFirstLicense: false };
}

interface Recording {
  readonly outageStart: number;
  readonly recoveryAt: number;
  readonly endOf: Float64Array;
  readonly requestAt: number[];
  readonly requestAgent: number[];
  readonly requestForced: boolean[];
  readonly backAt: Float64Array;
}

/**
 * The license side, one fetch per agent: records every request; while down, refuses the connection;
 * otherwise re-issues the license, 30 days long but never past the agent's subscription.
 */
function licenseServer(scenario: OutageScenario, clock: FleetClock, seen: Recording): (agent: number) => FetchAnswer {
  return (agent) => async (input) => {
    const now = clock.now();
    seen.requestAt.push(now);
    seen.requestAgent.push(agent);
    seen.requestForced.push(input.forced);
    if (scenario.down && now >= seen.outageStart && now < seen.recoveryAt) throw connectionRefused();
    if (now >= seen.recoveryAt && Number.isNaN(seen.backAt[agent])) seen.backAt[agent] = now;
    return licenseAt(now, Math.min(now + LICENSE_MS, seen.endOf[agent] as number));
  };
}

/** Runs the scenario from the fleet's start to a day after recovery; returns what the license side saw. */
export async function runOutage(scenario: OutageScenario, createActor: CreateOutageActor): Promise<OutageLog> {
  const started = performance.now();
  const clock = new FleetClock(T0);
  const random = seededRandom(scenario.seed);
  const time = { now: () => clock.now(), random };
  const outageStart = T0 + WARMUP_MS;
  const seen: Recording = {
    outageStart,
    recoveryAt: outageStart + scenario.outageMs,
    endOf: new Float64Array(scenario.fleet),
    requestAt: [],
    requestAgent: [],
    requestForced: [],
    backAt: new Float64Array(scenario.fleet).fill(Number.NaN),
  };
  const fetchFor = licenseServer(scenario, clock, seen);
  const cohortOf = new Uint8Array(scenario.fleet);
  const actors = [];
  for (let agent = 0; agent < scenario.fleet; agent++) {
    const cohort = cohortAt(agent, scenario);
    const end = subscriptionEnd(cohort, outageStart, random);
    cohortOf[agent] = COHORTS.indexOf(cohort);
    seen.endOf[agent] = end;
    const actor = createActor(fetchFor(agent), agentInput(cohort, end, time), clock);
    actors.push(actor);
    if (cohort === 'firstStart') clock.setTimeout(() => actor.start(), WARMUP_MS + random() * HOUR);
    else actor.start();
  }
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  await settle();
  await clock.advanceTo(seen.recoveryAt + AFTER_RECOVERY_MS, settle);
  for (const actor of actors) actor.stop();
  return { scenario, cohortOf, ...seen, elapsedMs: performance.now() - started };
}
