/**
 * What the statechart tells its agent about each refresh attempt: one `refresh.completed` event
 * with the outcome (ok or the failure, forced or not, the instant it was recorded), emitted to
 * `actor.on(...)` listeners; and the validity re-check that only a license that came in starts.
 */
import { SimulatedClock, type InspectionEvent } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchOutput, RefreshOutcome } from '../../machines/context.js';
import { createAgentActor, type AgentActor } from '../../src/agent/machine.js';
import { nextOutcome } from '../../src/agent/observer.js';
import type { AgentEffects } from '../../src/effects/create-effects.js';
import { API_KEY_INPUT, httpFailure, licenseAt } from '../schedule/support/machine.js';
import { DAY, HOUR, T0 } from '../schedule/support/world.js';
import { settleTurns as settle } from '../support/timers.js';

const noop = () => {};

describe('refresh.completed', () => {
  const actors: AgentActor[] = [];
  afterEach(() => {
    for (const actor of actors.splice(0)) actor.stop();
  });

  /** An agent whose fetches answer with `answers` in turn, recording what it raised and emitted. */
  function agent(answers: Array<() => FetchOutput>, input = {}) {
    const clock = new SimulatedClock();
    clock.set(T0);
    const outcomes: RefreshOutcome[] = [];
    const raised: string[] = [];
    const effects: AgentEffects = {
      fetchLicense: async () => (answers.shift() ?? (() => undefined))(),
      persistLicense: noop,
      logRefreshFailure: noop,
      logExpiryNotice: noop,
      logGrace: noop,
      logDegraded: noop,
      onEffectError: noop,
    };
    const inspect = (event: InspectionEvent) => {
      // A raised event is taken in a microstep of its own (the eventless ones after it carry it too).
      if (event.type !== '@xstate.microstep') return;
      for (const transition of event._transitions) {
        if (transition.eventType === 'license.adopted') raised.push(transition.eventType as string);
      }
    };
    const time = { now: () => clock.now(), random: () => 0 };
    const actor = createAgentActor(effects, { clock, input: { ...API_KEY_INPUT, ...input, time }, inspect: { next: inspect } });
    actor.on('refresh.completed', ({ outcome }) => void outcomes.push(outcome));
    actors.push(actor);
    return { actor, clock, outcomes, raised };
  }

  it('reports a successful first fetch once, not forced, at the instant it was recorded', async () => {
    const { actor, outcomes } = agent([() => licenseAt(T0, T0 + 60 * DAY)]);
    actor.start();
    await settle();

    expect(outcomes).toEqual([{ ok: true, forced: false, at: T0, error: undefined }]);
    expect(actor.getSnapshot().context.lastAttemptAt).toBe(T0);
  });

  it('reports a failure with its error, and the agent waits in the first-license retry', async () => {
    const failure = httpFailure(503);
    const { actor, outcomes } = agent([() => { throw failure; }]);
    actor.start();
    await settle();

    expect(outcomes).toEqual([{ ok: false, forced: false, at: T0, error: failure }]);
    expect(actor.getSnapshot().matches({ refresh: { firstLicense: 'retryWait' } })).toBe(true);
  });

  it('marks the attempt at the 48-hour threshold as forced', async () => {
    // 49 hours left: the 48-hour threshold comes an hour after start, before the first 6-hourly tick.
    const expiring = licenseAt(T0, T0 + 49 * HOUR);
    const { actor, clock, outcomes } = agent([() => expiring], { needsFirstLicense: false, license: expiring, lastRefreshAt: T0 });
    actor.start();
    clock.increment(HOUR);
    await settle();

    expect(outcomes).toEqual([{ ok: true, forced: true, at: T0 + HOUR, error: undefined }]);
  });

  it('answers nextOutcome() with the outcome of the attempt a refresh.now starts', async () => {
    const { actor } = agent([() => licenseAt(T0, T0 + 60 * DAY), () => { throw httpFailure(500); }]);
    actor.start();
    await settle();

    const answered = nextOutcome(actor);
    actor.send({ type: 'refresh.now' });

    expect(await answered).toMatchObject({ ok: false, error: { status: 500 } });
  });

  it('answers nextOutcome() with undefined when the agent stops before the attempt ends', async () => {
    const { actor } = agent([() => licenseAt(T0, T0 + 60 * DAY)]);
    const answered = nextOutcome(actor);
    actor.start();
    actor.send({ type: 'agent.stop' });

    expect(await answered).toBeUndefined();
  });

  it('re-checks validity when a license came in, not when the server said "no change"', async () => {
    const { actor, raised } = agent([() => licenseAt(T0, T0 + 60 * DAY), () => undefined]);
    actor.start();
    await settle();
    expect(raised).toEqual(['license.adopted']);

    actor.send({ type: 'refresh.now' });
    await settle();

    expect(raised).toEqual(['license.adopted']);
    expect(actor.getSnapshot().matches({ refresh: 'scheduled' })).toBe(true);
  });
});
