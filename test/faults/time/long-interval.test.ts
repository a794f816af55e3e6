/**
 * Refresh intervals beyond Node's timer limit (2^31 − 1 ms, about 24.8 days) fire neither early nor
 * never. The real agent runs on its production wall clock (`createWallClock()`, no `clock` option,
 * so its 60-second wake watchdog runs too) under fake timers, against the reference server over
 * real HTTP.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY, SECOND } from '../../../machines/schedule.js';
import { useE2E } from '../../e2e/support/harness.js';
import { T0 } from '../../support/clocks.js';
import { fakeWallClock, letRealTimePass, waitReal } from './support/fake-wall-clock.js';

// Registered before useE2E's hooks, so that it runs after them: agents stop on the fake timers
// they armed.
afterEach(() => {
  vi.useRealTimers();
});
const e2e = useE2E();

const API_KEY = 'sk-key-long-interval';

/** Starts an API-key agent at T0 with `interval` and a year-long license (no expiry cadence in the way). */
async function startWithInterval(interval: string) {
  fakeWallClock(T0);
  const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-long', tier: 'Pro', validFor: 365 * DAY } } });
  const agent = e2e.agent({
    apiKey: API_KEY,
    serverUrl: server.url,
    stateDir: await e2e.tempDir(),
    trustedKeys: server.keys.jwks,
    refresh: { interval },
    random: () => 0,
  });
  await agent.start();
  const requestTimes = () => server.requests.map((request) => request.receivedAt - T0);
  return { server, agent, requestTimes };
}

/** Moves the fake wall clock to just before `at` (timers fire on the way), and lets real I/O run. */
async function advanceToJustBefore(at: number) {
  vi.advanceTimersByTime(at - SECOND - Date.now());
  await letRealTimePass(30);
}

describe.each([
  { interval: '30d', days: 30 },
  { interval: '100d', days: 100 },
])('a $interval refresh interval on the wall clock', ({ interval, days }) => {
  it(`makes no request between start-up and ${days} days`, async () => {
    const { agent, requestTimes } = await startWithInterval(interval);

    await advanceToJustBefore(T0 + days * DAY);

    expect(requestTimes()).toEqual([0]);
    expect(agent.status().state).toBe('scheduled');
  });

  it(`makes its second request at exactly ${days} days`, async () => {
    const { server, requestTimes } = await startWithInterval(interval);
    await advanceToJustBefore(T0 + days * DAY);

    await vi.advanceTimersByTimeAsync(SECOND);
    await waitReal(() => server.requests.length >= 2, 10_000, 'the second request');

    expect(requestTimes()).toEqual([0, days * DAY]);
  });

  it(`schedules the next refresh ${days} days after the second`, async () => {
    const { server, agent } = await startWithInterval(interval);
    await advanceToJustBefore(T0 + days * DAY);

    await vi.advanceTimersByTimeAsync(SECOND);
    await waitReal(() => server.requests.length >= 2 && agent.status().state === 'scheduled', 10_000, 'the second refresh');

    expect(agent.status().nextRefreshAt).toBe(new Date(T0 + 2 * days * DAY).toISOString());
  });
});
