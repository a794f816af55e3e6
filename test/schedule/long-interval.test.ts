/**
 * A long interval in simulated time: an interval beyond Node's timer limit (about 24.8 days)
 * neither fires early nor is lost: with the real agent on a simulated clock, and with the
 * statechart on the production wall clock that chains such delays.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { licenseAgentMachine, type FetchInput, type FetchOutput } from '../../machines/license-agent.machine.js';
import { createWallClock } from '../../src/clock.js';
import { API_KEY_INPUT, licenseAt } from './support/machine.js';
import { API_KEY, DAY, PRO, SECOND, T0, useScheduleWorld } from './support/world.js';

describe('a 40-day refresh interval', () => {
  // A 90-day license: the 48-hour threshold (at 88 days) stays out of the way.
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 90 * DAY } });

  it('makes no request between start-up and 40 days', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ refresh: { interval: '40d' } });

    await advanceTo(T0 + 40 * DAY - SECOND);

    expect(requestTimes()).toEqual([0]);
  });

  it('makes one request at 40 days', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ refresh: { interval: '40d' } });

    await advanceTo(T0 + 40 * DAY);

    expect(requestTimes()).toEqual([0, 40 * DAY]);
  });

  it('reports the next refresh 40 days out', async () => {
    const { startAgent } = world();
    const agent = await startAgent({ refresh: { interval: '40d' } });

    expect(agent.status().nextRefreshAt).toBe(new Date(T0 + 40 * DAY).toISOString());
  });
});

describe('a 40-day refresh interval on the production wall clock (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The statechart on `createWallClock()`, with a fetch stub that records `Date.now()`. */
  function startOnWallClock() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
    const fetchedAt: number[] = [];
    const machine = licenseAgentMachine.provide({
      actors: {
        fetchLicense: fromPromise<FetchOutput, FetchInput>(async () => {
          fetchedAt.push(Date.now() - T0);
          return licenseAt(Date.now(), undefined);
        }),
      },
      actions: { persistLicense: () => {}, logRefreshFailure: () => {} },
    });
    const actor = createActor(machine, { clock: createWallClock(), input: { ...API_KEY_INPUT, intervalMs: 40 * DAY, time: { now: () => Date.now(), random: () => 0 } } });
    actor.start();
    return { actor, fetchedAt };
  }

  it('does not refresh again at once nor at the timer limit (about 24.8 days)', async () => {
    const { actor, fetchedAt } = startOnWallClock();

    await vi.advanceTimersByTimeAsync(25 * DAY);
    actor.stop();

    expect(fetchedAt).toEqual([0]);
  });

  it('refreshes again at 40 days', async () => {
    const { actor, fetchedAt } = startOnWallClock();

    await vi.advanceTimersByTimeAsync(40 * DAY - SECOND);
    expect(fetchedAt).toEqual([0]);
    await vi.advanceTimersByTimeAsync(SECOND);
    actor.stop();

    expect(fetchedAt).toEqual([0, 40 * DAY]);
  });
});
