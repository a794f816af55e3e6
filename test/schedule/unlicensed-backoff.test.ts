/**
 * The backoff before a first license, in simulated time: in API-key mode with no license yet, a
 * failing server is retried with a backoff of 30 s doubling to at most 15 min (not once a day), and
 * the first success puts the agent on the regular 24-hour schedule.
 */
import { describe, expect, it } from 'vitest';
import { DAY, MINUTE, SECOND, T0, useScheduleWorld } from './support/world.js';

const UNAVAILABLE = { status: 503, body: 'down' };

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

describe('the backoff while unlicensed (API-key mode, no cache, server answers 503)', () => {
  const world = useScheduleWorld();

  it('makes its first attempt at start-up and resolves start() after it', async () => {
    const { startAgent, requestTimes, server } = world();
    server.respondWith(() => UNAVAILABLE);

    const agent = await startAgent();

    expect(requestTimes()).toEqual([0]);
    expect(agent.status()).toMatchObject({ tier: 'Community', state: 'firstLicense.retryWait' });
  });

  it('retries after 30 s, 60 s, 120 s, 240 s, 480 s, then every 900 s', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => UNAVAILABLE);
    await startAgent();

    await advanceTo(T0 + 3630 * SECOND);

    expect(gaps(requestTimes()).map((gap) => gap / SECOND)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it('never waits more than 15 minutes between attempts over a day of failures', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => UNAVAILABLE);
    await startAgent();

    await advanceTo(T0 + DAY);

    expect(Math.max(...gaps(requestTimes()))).toBe(15 * MINUTE);
    expect(requestTimes().length).toBeGreaterThan(90);
  });

  it('follows the regular 24-hour schedule after the first success', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => UNAVAILABLE);
    const agent = await startAgent();
    await advanceTo(T0 + 90 * SECOND);
    server.respondWith(undefined);

    await advanceTo(T0 + 210 * SECOND);
    expect(agent.status().tier).toBe('Pro');
    expect(requestTimes()).toEqual([0, 30 * SECOND, 90 * SECOND, 210 * SECOND]);

    await advanceTo(T0 + 210 * SECOND + DAY - SECOND);
    expect(requestTimes()).toHaveLength(4);
    await advanceTo(T0 + 210 * SECOND + DAY);
    expect(requestTimes().at(-1)).toBe(210 * SECOND + DAY);
  });

  it('spreads the retries by up to 20% earlier with the jitter, never later', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    server.respondWith(() => UNAVAILABLE);
    await startAgent({ random: () => 0.999 });

    await advanceTo(T0 + 30 * MINUTE);

    const nominal = [30, 60, 120, 240, 480, 900].map((seconds) => seconds * SECOND);
    const observed = gaps(requestTimes()).slice(0, nominal.length);
    expect(observed).toHaveLength(nominal.length);
    observed.forEach((gap, i) => {
      expect(gap).toBeLessThanOrEqual(nominal[i] as number);
      expect(gap).toBeGreaterThanOrEqual(0.8 * (nominal[i] as number));
    });
  });
});
