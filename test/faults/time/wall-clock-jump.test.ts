/**
 * A wall-clock jump (a suspend and resume, or the clock being set) is noticed at the next timer,
 * and the right refresh or validity transition follows. The real agent runs on its production wall
 * clock with its 60-second wake watchdog, under fake timers. A suspend is `vi.setSystemTime()`
 * forward: `Date` jumps and every pending timer is now due that much later on the wall clock, as
 * Node's monotonic timers are after a real suspend; nothing fires until the test lets the next
 * minute pass.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY, HOUR, MINUTE, SECOND } from '../../../machines/schedule.js';
import { useE2E } from '../../e2e/support/harness.js';
import { T0 } from '../../support/clocks.js';
import { WARN } from '../../support/logs.js';
import { fakeWallClock, letRealTimePass, waitReal } from './support/fake-wall-clock.js';

// Registered before useE2E's hooks, so that it runs after them: agents stop on the fake timers
// they armed.
afterEach(() => {
  vi.useRealTimers();
});
const e2e = useE2E();

const API_KEY = 'sk-key-wall-clock';
const PAID = { sub: 'lic-paid', tier: 'Enterprise', features: ['federation'] } as const;

/** The machine sleeps for `ms`: the wall clock jumps, no timer fires. */
function suspend(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/**
 * The next watchdog beat (at most a minute after the wake) and what it sets off: a timer armed with
 * delay 0 during the beat fires a millisecond later under fake timers, hence the extra second.
 */
async function nextBeat(): Promise<void> {
  await vi.advanceTimersByTimeAsync(MINUTE + SECOND);
  await letRealTimePass(20);
}

describe('a 3-day suspend an hour after start-up (API key, 24-hour interval, 30-day license)', () => {
  async function startThenSuspend() {
    fakeWallClock(T0);
    const server = await e2e.server({ apiKeys: { [API_KEY]: { ...PAID, validFor: 30 * DAY } } });
    const agent = e2e.agent({
      apiKey: API_KEY,
      serverUrl: server.url,
      stateDir: await e2e.tempDir(),
      trustedKeys: server.keys.jwks,
      refresh: { interval: '24h' },
      random: () => 0,
    });
    await agent.start();
    vi.advanceTimersByTime(HOUR);
    suspend(3 * DAY);
    const wokeAt = Date.now();
    await letRealTimePass(20);
    return { server, agent, wokeAt };
  }

  it('makes no request before the next timer fires', async () => {
    const { server } = await startThenSuspend();

    expect(server.requests).toHaveLength(1);
  });

  it('runs the overdue regular refresh at the first beat after waking (within a minute), not a day later', async () => {
    const { server, wokeAt } = await startThenSuspend();

    await nextBeat();
    await waitReal(() => server.requests.length >= 2, 10_000, 'the overdue refresh');

    expect(server.requests).toHaveLength(2);
    expect((server.requests[1]?.receivedAt as number) - wokeAt).toBeLessThanOrEqual(MINUTE + SECOND);
  });

  it('schedules the next refresh a day after the overdue one', async () => {
    const { server, agent } = await startThenSuspend();

    await nextBeat();
    await waitReal(() => server.requests.length >= 2 && agent.status().state === 'scheduled', 10_000, 'the overdue refresh');

    expect(agent.status().nextRefreshAt).toBe(new Date((server.requests[1]?.receivedAt as number) + DAY).toISOString());
  });
});

describe('a suspend across the expiry of a static license (no refresh_url, expiring 2.5 days after start-up)', () => {
  const EXP = T0 + 2.5 * DAY;

  async function startThenSuspend(suspendMs: number) {
    fakeWallClock(T0);
    const server = await e2e.server();
    const licenseKey = await server.mint({ ...PAID, exp: EXP / 1000 }, T0 - DAY);
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks });
    await agent.start();
    vi.advanceTimersByTime(HOUR);
    suspend(suspendMs);
    return { agent };
  }

  it('still shows the license valid on waking, before the next timer', async () => {
    const { agent } = await startThenSuspend(3 * DAY);

    expect(agent.status()).toMatchObject({ validity: 'valid', tier: 'Enterprise' });
  });

  it('is in grace (paid tier kept) at the next beat after waking half a day past expiry', async () => {
    const { agent } = await startThenSuspend(3 * DAY);

    await nextBeat();

    expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'early', tier: 'Enterprise', degraded: false, daysExpired: 0 });
  });

  it('is degraded (Community) at the next beat after waking past the end of grace', async () => {
    const { agent } = await startThenSuspend(20 * DAY);

    await nextBeat();

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community', degraded: true, degradedFrom: { licenseId: PAID.sub } });
  });
});

describe('a wall clock set back behind the license\'s issue time', () => {
  async function startThenSetBack(backTo: number) {
    fakeWallClock(T0);
    const server = await e2e.server({ apiKeys: { [API_KEY]: { ...PAID, validFor: 30 * DAY } } });
    const agent = e2e.agent({
      apiKey: API_KEY,
      serverUrl: server.url,
      stateDir: await e2e.tempDir(),
      trustedKeys: server.keys.jwks,
      random: () => 0,
    });
    await agent.start();
    vi.advanceTimersByTime(HOUR);
    vi.setSystemTime(backTo);
    return { agent };
  }

  it('is reported in status().clockWarning at the next beat', async () => {
    const { agent } = await startThenSetBack(T0 - DAY);

    await nextBeat();

    expect(agent.status().clockWarning).toContain('set back');
  });

  it('is warned about at the next beat, naming the license\'s issue time', async () => {
    const { agent } = await startThenSetBack(T0 - DAY);

    await nextBeat();

    const warnings = e2e.logs.at(WARN).filter((line) => line.msg.includes('issue time'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.['issuedAt']).toBe(new Date(T0).toISOString());
    expect(agent.status().clockWarning).not.toBeNull();
  });

  it('is not reported when the clock is set back only to the issue time less 2 minutes (inside the 5-minute tolerance)', async () => {
    const { agent } = await startThenSetBack(T0 - 2 * MINUTE);

    await nextBeat();

    expect(agent.status().clockWarning).toBeNull();
  });
});
