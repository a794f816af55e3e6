/**
 * Refresh failures in simulated time: a failed refresh logs a warning, keeps the license in force
 * and leaves the regular schedule as it was; while no license was ever obtained, the server's
 * refusal (401) and its `Retry-After` are respected rather than hammered.
 */
import { describe, expect, it } from 'vitest';
import { ERROR, WARN } from '../support/logs.js';
import { DAY, HOUR, MINUTE, SECOND, T0, useScheduleWorld } from './support/world.js';

const UNAVAILABLE = { status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"maintenance"}' };

describe('a refresh that fails at the 24-hour tick (server answers 503)', () => {
  const world = useScheduleWorld();

  async function failAtFirstTick() {
    const w = world();
    const agent = await w.startAgent();
    const before = agent.license();
    w.server.respondWith(() => UNAVAILABLE);
    await w.advanceTo(T0 + DAY);
    return { ...w, agent, before };
  }

  it('logs a warning naming the cause', async () => {
    const { logs, requestTimes } = await failAtFirstTick();

    expect(requestTimes()).toEqual([0, DAY]);
    const warnings = logs.filter((line) => line.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/503/);
    expect(warnings[0]?.msg).toMatch(/maintenance/);
  });

  it('keeps the current license in force', async () => {
    const { agent, before } = await failAtFirstTick();

    expect(agent.license()).toBe(before);
    expect(agent.status().tier).toBe('Pro');
    expect(agent.status().expiresAt).toBe(new Date(T0 + 30 * DAY).toISOString());
  });

  it('makes no early retry before the next tick', async () => {
    const { advanceTo, requestTimes } = await failAtFirstTick();

    await advanceTo(T0 + 2 * DAY - SECOND);

    expect(requestTimes()).toEqual([0, DAY]);
  });

  it('does not skip the next tick: the next request comes at 48 h', async () => {
    const { advanceTo, requestTimes, server } = await failAtFirstTick();
    server.respondWith(undefined);

    await advanceTo(T0 + 2 * DAY);

    expect(requestTimes()).toEqual([0, DAY, 2 * DAY]);
  });

  it('keeps the tick at 48 h while the server stays down', async () => {
    const { advanceTo, requestTimes } = await failAtFirstTick();

    await advanceTo(T0 + 3 * DAY);

    expect(requestTimes()).toEqual([0, DAY, 2 * DAY, 3 * DAY]);
  });
});

describe('a 401 while no license was ever obtained (API-key mode, unknown key)', () => {
  const world = useScheduleWorld();

  it('logs the rejection as an error', async () => {
    const { startAgent, logs } = world();
    await startAgent({ apiKey: 'sk-key-unknown' });

    const errors = logs.filter((line) => line.level === ERROR);
    expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(/401/)]);
  });

  it('makes no retry storm: the next attempt comes no sooner than the regular interval', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ apiKey: 'sk-key-unknown' });

    await advanceTo(T0 + DAY - SECOND);
    expect(requestTimes()).toEqual([0]);
    await advanceTo(T0 + DAY);

    expect(requestTimes()).toEqual([0, DAY]);
  });

  it('adopts the license as soon as the key is known at the next attempt', async () => {
    const { startAgent, advanceTo, server } = world();
    const agent = await startAgent({ apiKey: 'sk-key-new' });
    server.setApiKey('sk-key-new', { sub: 'lic-new', tier: 'Enterprise' });

    await advanceTo(T0 + DAY);

    expect(agent.license().tier).toBe('Enterprise');
  });
});

describe('a 503 with Retry-After while no license was ever obtained', () => {
  const world = useScheduleWorld();

  it('waits at least the 120 s the server asked for before the next attempt', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => ({ ...UNAVAILABLE, headers: { ...UNAVAILABLE.headers, 'retry-after': '120' } }));
    await startAgent();

    await advanceTo(T0 + 120 * SECOND - 1);
    expect(requestTimes()).toEqual([0]);
    await advanceTo(T0 + 120 * SECOND);

    expect(requestTimes()).toEqual([0, 120 * SECOND]);
  });

  it('reads a Retry-After HTTP date against the agent clock, not the wall clock', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    const retryAt = new Date(T0 + 5 * MINUTE).toUTCString();
    server.respondWith(() => ({ ...UNAVAILABLE, headers: { ...UNAVAILABLE.headers, 'retry-after': retryAt } }));
    await startAgent();

    await advanceTo(T0 + 5 * MINUTE);

    expect(requestTimes()).toEqual([0, 5 * MINUTE]);
  });

  it('does not wait longer than the regular interval even when Retry-After asks for more', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => ({ ...UNAVAILABLE, headers: { ...UNAVAILABLE.headers, 'retry-after': String(3 * 24 * 3600) } }));
    await startAgent({ refresh: { interval: '1h' } });

    await advanceTo(T0 + HOUR);

    expect(requestTimes()).toEqual([0, HOUR]);
  });

  it('returns to the doubling backoff once the server stops sending Retry-After', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => ({ ...UNAVAILABLE, headers: { ...UNAVAILABLE.headers, 'retry-after': '120' } }));
    await startAgent();
    server.respondWith(() => UNAVAILABLE);

    await advanceTo(T0 + 120 * SECOND + 3 * MINUTE);

    // 120 s (asked), then the second failure's 60 s, then the third's 120 s.
    expect(requestTimes()).toEqual([0, 120 * SECOND, 180 * SECOND, 300 * SECOND]);
  });
});
