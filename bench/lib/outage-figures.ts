/**
 * The figures of a fleet under an outage, read from what the license side saw (`outage-fleet.ts`):
 * requests per agent in each hour of the outage, for the fleet and for each cohort; the busiest
 * second after the server returns; how long each cohort took to get through again.
 */
import { AFTER_RECOVERY_MS, COHORTS, HOUR, type Cohort, type OutageLog } from './outage-fleet.js';

/** The forced-refresh window (the machine's `EXPIRY_THRESHOLD_MS`). */
const WINDOW_MS = 48 * HOUR;

export interface BusiestSecond {
  readonly requests: number;
  /** Of the fleet. */
  readonly share: number;
  /** Seconds after recovery. */
  readonly atSecond: number;
}

export interface OutageFigures {
  readonly fleet: number;
  readonly cohortSizes: Readonly<Record<Cohort, number>>;
  /** Requests per agent of the whole fleet in each hour of the outage (first-start agents included). */
  readonly perHour: readonly number[];
  /** Requests per agent of each cohort in each hour of the outage. */
  readonly perHourByCohort: Readonly<Record<Cohort, readonly number[]>>;
  /** Of the 48 h window cohort's: its regular ticks (kept through failures), per agent of the cohort. */
  readonly windowRegularPerHour: readonly number[];
  readonly requestsDuringOutage: number;
  /** In the day after recovery. */
  readonly busiestSecond: BusiestSecond;
  /** In the first hour after recovery: where a burst of agents coming back together would be. */
  readonly busiestSecondFirstHour: BusiestSecond;
  /** Per cohort: from recovery to its last agent's first successful refresh (NaN: not all got one). */
  readonly backWithinMs: Readonly<Record<Cohort, number>>;
  /** Agents whose license is inside the 48 h window when the outage begins. */
  readonly insideWindowAtStart: number;
  /** Agents whose license expires during the outage (they go into grace before the server returns). */
  readonly expiringDuringOutage: number;
}

function perCohort<T>(make: (cohort: Cohort) => T): Record<Cohort, T> {
  return Object.fromEntries(COHORTS.map((cohort) => [cohort, make(cohort)])) as Record<Cohort, T>;
}

function hourlyCounts(log: OutageLog): { fleet: number[]; byCohort: number[][]; windowRegular: number[] } {
  const hours = Math.ceil(log.scenario.outageMs / HOUR);
  const fleet = new Array<number>(hours).fill(0);
  const byCohort = COHORTS.map(() => new Array<number>(hours).fill(0));
  const windowRegular = new Array<number>(hours).fill(0);
  const window = COHORTS.indexOf('forcedWindow');
  for (let i = 0; i < log.requestAt.length; i++) {
    const at = log.requestAt[i] as number;
    if (at < log.outageStart || at >= log.recoveryAt) continue;
    const hour = Math.floor((at - log.outageStart) / HOUR);
    const cohort = log.cohortOf[log.requestAgent[i] as number] as number;
    fleet[hour] = (fleet[hour] as number) + 1;
    const counts = byCohort[cohort] as number[];
    counts[hour] = (counts[hour] as number) + 1;
    if (cohort === window && log.requestForced[i] === false) windowRegular[hour] = (windowRegular[hour] as number) + 1;
  }
  return { fleet, byCohort, windowRegular };
}

function busiestSecondAfterRecovery(log: OutageLog, withinMs: number): BusiestSecond {
  const perSecond = new Map<number, number>();
  for (const at of log.requestAt) {
    if (at < log.recoveryAt || at >= log.recoveryAt + withinMs) continue;
    const second = Math.floor((at - log.recoveryAt) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  let busiest = { requests: 0, share: 0, atSecond: 0 };
  for (const [second, requests] of perSecond) {
    if (requests > busiest.requests) busiest = { requests, share: requests / log.scenario.fleet, atSecond: second };
  }
  return busiest;
}

function backWithin(log: OutageLog, cohort: Cohort): number {
  const index = COHORTS.indexOf(cohort);
  let latest = 0;
  for (let agent = 0; agent < log.scenario.fleet; agent++) {
    if (log.cohortOf[agent] !== index) continue;
    const back = log.backAt[agent] as number;
    if (Number.isNaN(back)) return Number.NaN;
    latest = Math.max(latest, back - log.recoveryAt);
  }
  return latest;
}

export function outageFigures(log: OutageLog): OutageFigures {
  const cohortSizes = perCohort((cohort) => log.cohortOf.filter((index) => index === COHORTS.indexOf(cohort)).length);
  const perAgentOf = (cohort: Cohort) => (count: number) => count / Math.max(1, cohortSizes[cohort]);
  const { fleet, byCohort, windowRegular } = hourlyCounts(log);
  const ends = [...log.endOf];
  return {
    fleet: log.scenario.fleet,
    cohortSizes,
    perHour: fleet.map((count) => count / log.scenario.fleet),
    perHourByCohort: perCohort((cohort) => (byCohort[COHORTS.indexOf(cohort)] as number[]).map(perAgentOf(cohort))),
    windowRegularPerHour: windowRegular.map(perAgentOf('forcedWindow')),
    requestsDuringOutage: fleet.reduce((sum, count) => sum + count, 0),
    busiestSecond: busiestSecondAfterRecovery(log, AFTER_RECOVERY_MS),
    busiestSecondFirstHour: busiestSecondAfterRecovery(log, HOUR),
    backWithinMs: perCohort((cohort) => backWithin(log, cohort)),
    insideWindowAtStart: ends.filter((end) => end > log.outageStart && end - log.outageStart <= WINDOW_MS).length,
    expiringDuringOutage: ends.filter((end) => end >= log.outageStart && end < log.recoveryAt).length,
  };
}

/** True when no hour has more requests than the hour before it. */
export function isNonIncreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value <= (values[i - 1] as number));
}

/** The largest rise from one hour to the next, as a fraction of the earlier hour (0: none). */
export function largestRise(values: readonly number[]): number {
  let rise = 0;
  for (let i = 1; i < values.length; i++) {
    const before = values[i - 1] as number;
    if (before > 0) rise = Math.max(rise, (values[i] as number) / before - 1);
  }
  return rise;
}
