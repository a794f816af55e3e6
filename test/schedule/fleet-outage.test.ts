/**
 * A fleet under an outage, small enough for `npm test`: 500 agents of the statechart on one
 * simulated clock (the scenario of benchmark 7, `bench/lib/outage-fleet.ts`: licenses in every
 * phase, 10 % inside the 48-hour window, 2 % first starts with no license), the license server
 * refusing every connection for 6 hours. The backoff must keep the fleet's load under one request
 * per agent per hour, falling as the outage lasts, and must not send the fleet back in one burst.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { outageFigures, type OutageFigures } from '../../bench/lib/outage-figures.js';
import { DEFAULT_SHARES, HOUR, runOutage, type CreateOutageActor } from '../../bench/lib/outage-fleet.js';
import { FORCED_BACKOFF, UNLICENSED_BACKOFF } from '../../machines/schedule.js';
import { createAgentActor } from '../../src/agent/machine.js';

const FLEET = 500;
const noop = () => {};
const createActor: CreateOutageActor = (fetchLicense, input, clock) =>
  createAgentActor(
    { fetchLicense, persistLicense: noop, logRefreshFailure: noop, logExpiryNotice: noop, logGrace: noop, logDegraded: noop, onEffectError: noop },
    { clock, input },
  );

describe('a fleet of 500 whose license server is down for 6 hours', () => {
  let figures: OutageFigures;

  beforeAll(async () => {
    const log = await runOutage({ fleet: FLEET, outageMs: 6 * HOUR, down: true, shares: DEFAULT_SHARES, seed: 12 }, createActor);
    figures = outageFigures(log);
  });

  it('exercises the forced backoff: agents inside the 48 h window retry more than hourly in the first hour', () => {
    expect(figures.cohortSizes.forcedWindow).toBe(50);
    expect(figures.perHourByCohort.forcedWindow[0]).toBeGreaterThan(2);
  });

  it('sends at most one request per agent in each hour of the outage', () => {
    expect(figures.perHour).toHaveLength(6);
    for (const perAgent of figures.perHour) expect(perAgent).toBeLessThanOrEqual(1);
  });

  it('sends fewer requests in the last hour of the outage than in the first', () => {
    expect(figures.perHour[5]).toBeLessThanOrEqual(figures.perHour[0] as number);
  });

  it('brings at most 1 % of the fleet in any one second after recovery', () => {
    expect(figures.busiestSecond.requests).toBeGreaterThan(0);
    expect(figures.busiestSecond.share).toBeLessThanOrEqual(0.01);
  });

  it('gets every agent of the 48 h window and every first start through within one capped backoff of recovery', () => {
    expect(figures.backWithinMs.forcedWindow).toBeLessThanOrEqual(FORCED_BACKOFF.maxMs);
    expect(figures.backWithinMs.firstStart).toBeLessThanOrEqual(UNLICENSED_BACKOFF.maxMs);
  });
});
