/**
 * Acceptance line 4 in simulated time: a license expiring within 48 hours forces a refresh, at
 * start-up, when adopted, and at the instant the threshold is crossed (a timer armed for
 * `exp − 48 h`, not the next regular tick), and a server that keeps answering with short licenses
 * never drives the agent into a loop.
 */
import { describe, expect, it } from 'vitest';
import { LicenseCache, fingerprintApiKey } from '../../src/state/license-cache.js';
import { captureLogs } from './support/logs.js';
import { API_KEY, DAY, HOUR, MINUTE, PRO, T0, useScheduleWorld } from './support/world.js';

const SIXTY_HOURS = 60 * HOUR;

describe('the forced refresh at the 48-hour threshold', () => {
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: SIXTY_HOURS } });

  it('does not refresh at 11 h 59 min when the license fetched at start-up expires at 60 h', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + 12 * HOUR - MINUTE);

    expect(requestTimes()).toEqual([0]);
  });

  it('refreshes at exactly 12 h when the license fetched at start-up expires at 60 h', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + 12 * HOUR);

    expect(requestTimes()).toEqual([0, 12 * HOUR]);
  });

  it('detects the threshold with a timer of its own, not at the 24-hour tick', async () => {
    const { startAgent, advanceTo, logs } = world();
    await startAgent();

    await advanceTo(T0 + 12 * HOUR);

    const transitions = logs.filter((line) => line['to'] !== undefined).map((line) => line['to']);
    expect(transitions).toEqual(['refreshing', 'scheduled', 'forcedRefresh', 'scheduled']);
  });

  it('adopts the license the forced refresh receives', async () => {
    const { startAgent, advanceTo, server } = world();
    const agent = await startAgent();
    // The next answer is a 30-day license, so the forced refresh at 12 h is the only one.
    server.setApiKey(API_KEY, PRO);

    await advanceTo(T0 + 12 * HOUR);

    expect(server.requests).toHaveLength(2);
    expect(agent.status().expiresAt).toBe(new Date(T0 + 12 * HOUR + 30 * DAY).toISOString());
  });
});

describe('the 48-hour threshold crossed while waiting after a failed refresh', () => {
  // Licenses fetched at start-up expire at 80 h: the threshold is at 32 h, after the 24 h tick.
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 80 * HOUR } });

  it('forces a refresh at exactly 32 h after the 24 h tick failed', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    await startAgent();
    server.respondWith(() => ({ status: 503, body: 'down' }));
    await advanceTo(T0 + DAY);
    server.respondWith(undefined);

    await advanceTo(T0 + 32 * HOUR - MINUTE);
    expect(requestTimes()).toEqual([0, DAY]);
    await advanceTo(T0 + 32 * HOUR);

    expect(requestTimes()).toEqual([0, DAY, 32 * HOUR]);
  });
});

describe('the forced refresh at start-up', () => {
  const world = useScheduleWorld();

  async function cacheLicense(expiresIn: number, fetchedAgo: number): Promise<void> {
    const { server, stateDir } = world();
    const fetchedAt = T0 - fetchedAgo;
    const jwt = await server.mint({ ...PRO, iat: fetchedAt / 1000, exp: (T0 + expiresIn) / 1000 }, fetchedAt);
    const cache = new LicenseCache(stateDir, captureLogs().log);
    await cache.write({ jwt, fetchedAt, keyFingerprint: fingerprintApiKey(API_KEY), licenseId: PRO.sub });
  }

  it('refreshes at once when the cached license expires in less than 48 hours', async () => {
    const { startAgent, requestTimes } = world();
    await cacheLicense(40 * HOUR, HOUR);

    await startAgent();

    expect(requestTimes()).toEqual([0]);
  });

  it('does not refresh at start-up when the cached license expires in more than 48 hours', async () => {
    const { startAgent, requestTimes } = world();
    await cacheLicense(50 * HOUR, HOUR);

    await startAgent();

    expect(requestTimes()).toEqual([]);
  });
});

describe('a server that keeps issuing licenses that expire within 48 hours', () => {
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 10 * HOUR } });

  it('retries at most about hourly over 24 simulated hours: no loop', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + DAY);

    expect(requestTimes().length).toBeLessThanOrEqual(25);
    const gaps = requestTimes().slice(1).map((time, i) => time - (requestTimes()[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(HOUR);
  });

  it('keeps trying to get a longer license rather than giving up', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + DAY);

    expect(requestTimes().length).toBeGreaterThan(1);
  });

  it('keeps the refreshed short licenses in force', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    const agent = await startAgent();

    await advanceTo(T0 + DAY);

    const last = requestTimes().at(-1) as number;
    expect(agent.status().expiresAt).toBe(new Date(T0 + last + 10 * HOUR).toISOString());
    expect(agent.license().tier).toBe('Pro');
  });
});
