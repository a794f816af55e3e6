/**
 * One statechart definition serves every agent of a process: each actor must still run its own
 * agent's effects on its own clock, however many agents share the definition.
 */
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchInput } from '../../machines/context.js';
import { createAgentActor, type AgentActor } from '../../src/agent/machine.js';
import type { AgentEffects } from '../../src/effects/create-effects.js';
import { createAgentLogger } from '../../src/log.js';
import { API_KEY_INPUT, licenseAt } from '../schedule/support/machine.js';
import { DAY, T0 } from '../schedule/support/world.js';
import { captureLogs } from '../support/logs.js';
import { nextTurn, settleTurns as settle } from '../support/timers.js';

const noop = () => {};

function recordingEffects(name: string, calls: string[]): AgentEffects {
  return {
    fetchLicense: async (input: FetchInput) => {
      calls.push(`${name} fetch${input.forced ? ' forced' : ''}`);
      return licenseAt(T0, T0 + 30 * DAY);
    },
    persistLicense: () => void calls.push(`${name} persist`),
    logRefreshFailure: noop,
    logExpiryNotice: noop,
    logGrace: noop,
    logDegraded: noop,
    onEffectError: (error, effect) => void calls.push(`${name} ${effect} threw: ${(error as Error).message}`),
  };
}

describe('createAgentActor', () => {
  const actors: AgentActor[] = [];
  afterEach(() => {
    for (const actor of actors.splice(0)) actor.stop();
  });

  function start(effects: AgentEffects, clock: SimulatedClock, intervalMs = DAY): AgentActor {
    clock.set(T0);
    const time = { now: () => clock.now(), random: () => 0 };
    const actor = createAgentActor(effects, { clock, input: { ...API_KEY_INPUT, intervalMs, time } });
    actors.push(actor);
    actor.start();
    return actor;
  }

  it("runs each agent's own effects, not another agent's", async () => {
    const calls: string[] = [];
    start(recordingEffects('a', calls), new SimulatedClock());
    start(recordingEffects('b', calls), new SimulatedClock());
    await settle();

    expect(calls.sort()).toEqual(['a fetch', 'a persist', 'b fetch', 'b persist']);
  });

  it("runs each agent's timers on its own clock", async () => {
    const calls: string[] = [];
    const clockA = new SimulatedClock();
    start(recordingEffects('a', calls), clockA);
    start(recordingEffects('b', calls), new SimulatedClock(), 2 * DAY);
    await settle();
    calls.length = 0;

    clockA.increment(DAY);
    await settle();

    expect(calls).toEqual(['a fetch', 'a persist']);
  });

  it('reports an effect that throws and carries on: the actor stays active and its next refresh runs', async () => {
    const calls: string[] = [];
    const clock = new SimulatedClock();
    const effects = recordingEffects('a', calls);
    const actor = start({ ...effects, persistLicense: () => { throw new Error('disk on fire'); } }, clock);
    await settle();
    clock.increment(DAY);
    await settle();

    expect(actor.getSnapshot().status).toBe('active');
    expect(calls).toEqual(['a fetch', 'a persistLicense threw: disk on fire', 'a fetch', 'a persistLicense threw: disk on fire']);
  });

  it("reads the time from the agent's input: a refresh is due one interval after its own clock's now", async () => {
    const clock = new SimulatedClock();
    const actor = start(recordingEffects('a', []), clock);
    await settle();

    expect(actor.getSnapshot().context.nextRefreshAt).toBe(T0 + DAY);
  });
});

describe('createAgentLogger', () => {
  it('gives agents that share a server logger one child logger', () => {
    const server = captureLogs('info').logger;

    expect(createAgentLogger(server)).toBe(createAgentLogger(server));
  });

  it('gives a different server logger its own child', () => {
    expect(createAgentLogger(captureLogs('info').logger)).not.toBe(createAgentLogger(captureLogs('info').logger));
  });

  it("gives a reused child the server logger's level of now, as a new child would get", () => {
    const server = captureLogs('info').logger;
    createAgentLogger(server);
    server.level = 'warn';

    expect(createAgentLogger(server).level).toBe('warn');
  });

  it('redacts a jwt field through the shared child', async () => {
    const { logger: server, lines } = captureLogs('info');
    createAgentLogger(server);

    createAgentLogger(server).info({ jwt: 'eyJ.secret.token' }, 'line');
    await nextTurn();

    expect(lines[0]).toMatchObject({ jwt: '[redacted]', component: 'softclient4es-license' });
  });
});
