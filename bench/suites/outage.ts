/**
 * Benchmark 7, the fleet under an outage (issue 12): 10,000 agents in API-key mode on one simulated
 * clock, the statechart actors built as `createLicenseAgent` builds them (`createAgentActor`) with
 * a virtual transport, whose license server refuses every connection for 6 hours and then returns.
 * The fleet is in its steady state when the outage begins (`bench/lib/outage-fleet.ts`): ticks
 * spread over the interval, 10 % of the licenses inside the 48-hour forced-refresh window during
 * the outage, 10 % in their last week, 2 % new installs started in the outage's first hour.
 *
 * The baseline is the same fleet, same seed, with the server up throughout: what the outage adds.
 */
import { createAgentActor } from '../.build/modules/src/agent/machine.js';
import { isNonIncreasing, largestRise, outageFigures, type BusiestSecond, type OutageFigures } from '../lib/outage-figures.js';
import { AFTER_RECOVERY_MS, COHORTS, DEFAULT_SHARES, HOUR, WARMUP_MS, runOutage, type Cohort, type CreateOutageActor, type OutageScenario } from '../lib/outage-fleet.js';
import { row, type Row } from '../lib/report.js';
import { formatDuration, formatPercent, formatRatio, formatSpan, significant } from '../lib/stats.js';
import { progress, runSuite } from '../lib/suite.js';

const FLEET = Number(process.env.BENCH_OUTAGE_FLEET ?? 10_000);
const OUTAGE_HOURS = 6;
const SEED = 12;
const HOURLY_TARGET = 1;
const PEAK_SHARE_TARGET = 0.01;
const SIMULATED_HOURS = (WARMUP_MS + AFTER_RECOVERY_MS) / HOUR + OUTAGE_HOURS;
const noop = () => {};

const createActor: CreateOutageActor = (fetchLicense, input, clock) =>
  createAgentActor(
    { fetchLicense, persistLicense: noop, logRefreshFailure: noop, logExpiryNotice: noop, logGrace: noop, logDegraded: noop, onEffectError: noop },
    { clock, input },
  );

const COHORT_TITLES: Readonly<Record<Cohort, string>> = {
  forcedWindow: 'inside the 48 h window',
  lastWeek: 'in the last week (6 h cadence)',
  firstStart: 'first start, no license yet',
  longTerm: 'long-term (30-day license, daily)',
};

async function measure(down: boolean): Promise<{ figures: OutageFigures; elapsedMs: number }> {
  const scenario: OutageScenario = { fleet: FLEET, outageMs: OUTAGE_HOURS * HOUR, down, shares: DEFAULT_SHARES, seed: SEED };
  const log = await runOutage(scenario, createActor);
  return { figures: outageFigures(log), elapsedMs: log.elapsedMs };
}

const hourly = (values: readonly number[]) => values.map((value) => significant(value)).join(', ');
const perSecond = (busiest: BusiestSecond) => `${busiest.requests} req/s (${formatPercent(busiest.share)})`;
const backCell = (figures: OutageFigures) =>
  `48 h window ${formatSpan(figures.backWithinMs.forcedWindow)}, first starts ${formatSpan(figures.backWithinMs.firstStart)}, all ${formatSpan(Math.max(...Object.values(figures.backWithinMs)))}`;

function targetRows(outage: OutageFigures, control: OutageFigures): Row[] {
  const busiestHour = Math.max(...outage.perHour);
  const first = outage.perHour[0] as number;
  const last = outage.perHour[outage.perHour.length - 1] as number;
  const trend = isNonIncreasing(outage.perHour) ? 'non-increasing' : `not monotonic: up to +${formatPercent(largestRise(outage.perHour))} hour on hour`;
  const title = `fleet of ${FLEET.toLocaleString('en')}, server down ${OUTAGE_HOURS} h`;
  return [
    row(7, `${title}: requests per agent per hour, hours 1–${OUTAGE_HOURS}`, {
      ours: hourly(outage.perHour),
      baseline: hourly(control.perHour),
      ratio: formatRatio(outage.requestsDuringOutage / control.requestsDuringOutage),
      target: `≤ ${HOURLY_TARGET} every hour`,
      pass: busiestHour <= HOURLY_TARGET,
      values: { busiestHour, requestsDuringOutage: outage.requestsDuringOutage, controlRequests: control.requestsDuringOutage },
    }),
    row(7, `${title}: last hour vs first (fewer as the outage lasts)`, {
      ours: `${significant(last)} vs ${significant(first)} (${trend})`,
      baseline: '—',
      ratio: formatRatio(last / first),
      target: `hour ${OUTAGE_HOURS} ≤ hour 1`,
      pass: last <= first,
      values: { first, last, nonIncreasing: isNonIncreasing(outage.perHour), largestRise: largestRise(outage.perHour) },
    }),
    row(7, `${title}: busiest second in the day after recovery`, {
      ours: perSecond(outage.busiestSecond),
      baseline: perSecond(control.busiestSecond),
      ratio: formatRatio(outage.busiestSecond.requests / control.busiestSecond.requests),
      target: `≤ 1 % of the fleet (${PEAK_SHARE_TARGET * FLEET}/s)`,
      pass: outage.busiestSecond.share <= PEAK_SHARE_TARGET,
      values: { requests: outage.busiestSecond.requests, atSecond: outage.busiestSecond.atSecond, controlRequests: control.busiestSecond.requests },
    }),
  ];
}

function cohortRow(cohort: Cohort, outage: OutageFigures, control: OutageFigures): Row {
  const size = outage.cohortSizes[cohort];
  const window = `; ${outage.insideWindowAtStart} inside at its start, ${outage.expiringDuringOutage} expire during it`;
  return row(7, `outage, ${COHORT_TITLES[cohort]}: ${size.toLocaleString('en')} agents (${formatPercent(size / FLEET)}${cohort === 'forcedWindow' ? window : ''}), per agent per hour`, {
    ours: hourly(outage.perHourByCohort[cohort]),
    baseline: hourly(control.perHourByCohort[cohort]),
    ratio: '—',
    target: '—',
    pass: null,
    values: { agents: size },
  });
}

/** What explains the hours after the third: the regular ticks, kept through failures, of the agents inside the window. */
function infoRows(outage: OutageFigures, control: OutageFigures): Row[] {
  return [
    row(7, 'outage, inside the 48 h window: of which regular ticks (6 h after the last success, kept through failures)', {
      ours: hourly(outage.windowRegularPerHour),
      baseline: hourly(control.windowRegularPerHour),
      ratio: '—',
      target: '—',
      pass: null,
    }),
    row(7, 'outage: busiest second in the first hour after recovery', {
      ours: perSecond(outage.busiestSecondFirstHour),
      baseline: perSecond(control.busiestSecondFirstHour),
      ratio: '—',
      target: '—',
      pass: null,
      values: { requests: outage.busiestSecondFirstHour.requests, atSecond: outage.busiestSecondFirstHour.atSecond },
    }),
    row(7, 'outage: from recovery to the last agent of each cohort through again', {
      ours: backCell(outage),
      baseline: '—',
      ratio: '—',
      target: '—',
      pass: null,
      values: { ...outage.backWithinMs },
    }),
  ];
}

runSuite(async () => {
  progress(`outage: ${FLEET} agents, server down ${OUTAGE_HOURS} h, then a day of recovery`);
  const outage = await measure(true);
  progress(`  ${formatDuration(outage.elapsedMs)}; control: the same fleet, server up`);
  const control = await measure(false);
  progress(`  ${formatDuration(control.elapsedMs)}`);
  const rows: Row[] = [
    ...targetRows(outage.figures, control.figures),
    ...COHORTS.map((cohort) => cohortRow(cohort, outage.figures, control.figures)),
    ...infoRows(outage.figures, control.figures),
  ];
  rows.push(row(7, `outage: wall time of the simulation (${SIMULATED_HOURS} simulated hours)`, {
    ours: formatDuration(outage.elapsedMs),
    baseline: formatDuration(control.elapsedMs),
    ratio: formatRatio(outage.elapsedMs / control.elapsedMs),
    target: '—',
    pass: null,
  }));
  return { suite: 'outage', rows, details: { fleet: FLEET, seed: SEED, outage, control } };
});
