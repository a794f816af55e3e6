/**
 * Restarts in simulated time: the schedule lives in the state directory, not in the process. A
 * restarted agent resumes it from the cached license's fetch time, so a server restarted every hour
 * still refreshes once a day.
 */
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, SECOND, T0, useScheduleWorld } from './support/world.js';

describe('the schedule across restarts (same state directory)', () => {
  const world = useScheduleWorld();

  /** An agent that fetched at T0 and was stopped at T0 + 1 h, then a new process at T0 + 1 h. */
  async function restartAfterOneHour() {
    const w = world();
    const first = await w.startAgent();
    await w.advanceTo(T0 + HOUR);
    await first.stop();
    w.restartAt(T0 + HOUR);
    const second = await w.startAgent();
    return { ...w, second };
  }

  it('does not fetch at start-up when the cached license was fetched an hour ago', async () => {
    const { requestTimes, second } = await restartAfterOneHour();

    expect(requestTimes()).toEqual([0]);
    expect(second.status().tier).toBe('Pro');
  });

  it('fetches 24 hours after the previous process fetched, not 24 hours after the restart', async () => {
    const { advanceTo, requestTimes } = await restartAfterOneHour();

    await advanceTo(T0 + DAY - SECOND);
    expect(requestTimes()).toEqual([0]);
    await advanceTo(T0 + DAY);

    expect(requestTimes()).toEqual([0, DAY]);
  });

  it('fetches at once when the last fetch is more than one interval old', async () => {
    const w = world();
    const first = await w.startAgent();
    await first.stop();
    w.restartAt(T0 + DAY + HOUR);

    await w.startAgent();

    expect(w.requestTimes()).toEqual([0, DAY + HOUR]);
  });

  it('refreshes once a day, not once per start, when restarted every hour for 3 days', async () => {
    const { startAgent, restartAt, advanceTo, requestTimes } = world();
    for (let hour = 0; hour < 72; hour++) {
      restartAt(T0 + hour * HOUR);
      const agent = await startAgent();
      await advanceTo(T0 + (hour + 1) * HOUR);
      await agent.stop();
    }

    expect(requestTimes()).toEqual([0, DAY, 2 * DAY, 3 * DAY]);
  });

  it('leaves no timer armed on the clock once stopped, so nothing fires after a restart', async () => {
    const { startAgent, advanceTo, clock } = world();
    const agent = await startAgent();
    await advanceTo(T0 + HOUR);
    expect(clock.pendingCount()).toBeGreaterThan(0);

    await agent.stop();

    expect(clock.pendingCount()).toBe(0);
  });

  it('leaves no timer armed once stopped while waiting after a failure', async () => {
    const { startAgent, clock, server } = world();
    server.respondWith(() => ({ status: 503, body: 'down' }));
    const agent = await startAgent();
    expect(agent.status().state).toBe('firstLicense.retryWait');

    await agent.stop();

    expect(clock.pendingCount()).toBe(0);
  });
});
