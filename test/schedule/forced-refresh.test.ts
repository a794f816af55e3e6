/**
 * The forced refresh in simulated time: a license expiring within 48 hours forces a refresh, at
 * start-up, when adopted, and at the instant the threshold is crossed (a timer armed for
 * `exp − 48 h`, not the next regular tick), and a server that keeps answering with short licenses
 * never drives the agent into a loop.
 */
import { describe, expect, it } from 'vitest';
import { LicenseCache, fingerprintApiKey } from '../../src/state/license-cache.js';
import { captureLogs } from '../support/logs.js';
import { API_KEY, DAY, HOUR, MINUTE, PRO, T0, useScheduleWorld } from './support/world.js';

/**
 * The server keeps re-issuing the same license, expiring at 57 h (a customer who has not renewed).
 * Inside the license's last week the regular refresh comes every 6 hours: at 6 h and 12 h; the
 * 48-hour threshold at 9 h falls between them, so only the threshold's own timer can start the
 * refresh at 9 h.
 */
const EXPIRES_AT = T0 + 57 * HOUR;
const THRESHOLD = 9 * HOUR;

describe('the forced refresh at the 48-hour threshold (license expiring at 57 h, 6-hourly regular ticks)', () => {
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, exp: EXPIRES_AT / 1000 } });

  it('makes only the 6-hourly regular refresh before the threshold: nothing from 6 h to 8 h 59 min', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + THRESHOLD - MINUTE);

    expect(requestTimes()).toEqual([0, 6 * HOUR]);
  });

  it('refreshes at exactly 9 h (exp − 48 h), between the 6-hourly regular refreshes', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + THRESHOLD);

    expect(requestTimes()).toEqual([0, 6 * HOUR, THRESHOLD]);
  });

  it('detects the threshold with a timer of its own, not at the next 6-hourly tick', async () => {
    const { startAgent, advanceTo, logs } = world();
    await startAgent();

    await advanceTo(T0 + THRESHOLD);

    const transitions = logs.filter((line) => line['to'] !== undefined).map((line) => line['to']);
    expect(transitions).toEqual(['firstLicense.fetching', 'scheduled', 'refreshing', 'scheduled', 'forcedRefresh', 'scheduled']);
  });

  it('adopts the license the forced refresh receives', async () => {
    const { startAgent, advanceTo, server } = world();
    const agent = await startAgent();
    await advanceTo(T0 + 6 * HOUR);
    // The next answer is a 30-day license, so the forced refresh at 9 h is the only one after 6 h.
    server.setApiKey(API_KEY, PRO);

    await advanceTo(T0 + THRESHOLD);

    expect(server.requests).toHaveLength(3);
    expect(agent.status().expiresAt).toBe(new Date(T0 + THRESHOLD + 30 * DAY).toISOString());
  });
});

describe('the 48-hour threshold crossed while waiting after a failed refresh (6-hourly regular ticks)', () => {
  // The license fetched at start-up expires at 80 h: the threshold is at 32 h, between the 6-hourly
  // regular ticks at 30 h and 36 h, which all fail while the server is down.
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 80 * HOUR } });

  it('forces a refresh at exactly 32 h while waiting after the failed 6-hourly tick at 30 h', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    await startAgent();
    server.respondWith(() => ({ status: 503, body: 'down' }));
    await advanceTo(T0 + 32 * HOUR - MINUTE);
    server.respondWith(undefined);

    expect(requestTimes()).toEqual([0, 6 * HOUR, 12 * HOUR, 18 * HOUR, DAY, 30 * HOUR]);
    await advanceTo(T0 + 32 * HOUR);

    expect(requestTimes()).toEqual([0, 6 * HOUR, 12 * HOUR, 18 * HOUR, DAY, 30 * HOUR, 32 * HOUR]);
  });
});

describe('the forced refresh at start-up', () => {
  const world = useScheduleWorld();

  async function cacheLicense(expiresIn: number, fetchedAgo: number): Promise<void> {
    const { server, stateDir } = world();
    const fetchedAt = T0 - fetchedAgo;
    const jwt = await server.mint({ ...PRO, iat: fetchedAt / 1000, exp: (T0 + expiresIn) / 1000 }, fetchedAt);
    const cache = new LicenseCache(stateDir, captureLogs().logger);
    await cache.write({ jwt, fetchedAt, keyFingerprint: await fingerprintApiKey(API_KEY), licenseId: PRO.sub });
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
