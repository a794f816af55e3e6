/**
 * The schedule in the other modes, in simulated time: a static JWT with a `refresh_url` refreshes
 * every interval through that URL and keeps its schedule across restarts; with
 * `refresh.enabled = false` nothing is scheduled at all.
 */
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, PRO, SECOND, T0, useScheduleWorld } from './support/world.js';

describe('static-JWT mode with a refresh_url (license issued at T0)', () => {
  const world = useScheduleWorld();

  /** A 30-day license issued at T0 that refreshes through the reference server. */
  function staticLicense(): Promise<string> {
    const { server } = world();
    return server.mint({ ...PRO, refresh_url: server.refreshUrl }, T0);
  }

  /** Request instants after start-up (whether start-up itself refreshes is not this file's concern). */
  function ticks(): number[] {
    return world().requestTimes().filter((at) => at > 0);
  }

  it('refreshes once per interval: at 24 h, 48 h and 72 h', async () => {
    const { startAgent, advanceTo } = world();
    await startAgent({ apiKey: undefined, licenseKey: await staticLicense() });

    await advanceTo(T0 + 3 * DAY);

    expect(ticks()).toEqual([DAY, 2 * DAY, 3 * DAY]);
  });

  it('posts each tick to refresh_url with the current JWT as a Bearer token', async () => {
    const { startAgent, advanceTo, server } = world();
    await startAgent({ apiKey: undefined, licenseKey: await staticLicense() });

    await advanceTo(T0 + DAY);

    const tick = server.requests.at(-1);
    expect(tick?.receivedAt).toBe(T0 + DAY);
    expect(tick?.path).toBe('/api/v1/licenses/refresh');
    expect(tick?.headers.authorization).toMatch(/^Bearer ey/);
  });

  it('makes no request between start-up and one second before the interval', async () => {
    const { startAgent, advanceTo } = world();
    await startAgent({ apiKey: undefined, licenseKey: await staticLicense() });

    await advanceTo(T0 + DAY - SECOND);

    expect(ticks()).toEqual([]);
  });

  describe('the first refresh with nothing on record (SoftClient4ES contract)', () => {
    it('makes no request at start for a fresh token and is due one interval after its iat', async () => {
      const { startAgent, advanceTo, requestTimes, server } = world();
      const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl }, T0 - 20 * HOUR);
      await startAgent({ apiKey: undefined, licenseKey });

      await advanceTo(T0 + DAY);

      expect(requestTimes()).toEqual([4 * HOUR]);
    });

    it('is due one interval after start for a token without iat', async () => {
      const { startAgent, advanceTo, requestTimes, server } = world();
      const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl, extra: { iat: undefined } }, T0 - 20 * HOUR);
      await startAgent({ apiKey: undefined, licenseKey });

      await advanceTo(T0 + DAY + HOUR);

      expect(requestTimes()).toEqual([DAY]);
    });

    it('is due at once, never in the past, for a token issued more than an interval ago', async () => {
      const { startAgent, advanceTo, requestTimes, server } = world();
      const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl }, T0 - 3 * DAY);
      await startAgent({ apiKey: undefined, licenseKey });

      await advanceTo(T0 + HOUR);

      expect(requestTimes()).toEqual([0]);
    });
  });

  it('keeps a daily schedule when restarted every hour and the server answers 204 (no change)', async () => {
    const { startAgent, restartAt, advanceTo, server } = world();
    server.setRefreshAnswer('unchanged');
    const licenseKey = await staticLicense();
    for (let hour = 0; hour < 48; hour++) {
      restartAt(T0 + hour * HOUR);
      const agent = await startAgent({ apiKey: undefined, licenseKey });
      await advanceTo(T0 + (hour + 1) * HOUR);
      await agent.stop();
    }

    expect(ticks()).toEqual([DAY, 2 * DAY]);
  });
});

describe('refresh.enabled = false', () => {
  const world = useScheduleWorld();

  it('fetches once at start-up in API-key mode, then never again over 10 days', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ refresh: { enabled: false } });

    await advanceTo(T0 + 10 * DAY);

    expect(requestTimes()).toEqual([0]);
  });

  it('does not fetch at all in API-key mode when the cache was fetched with the same key less than an interval ago', async () => {
    const { startAgent, restartAt, advanceTo, requestTimes } = world();
    const first = await startAgent();
    await first.stop();
    restartAt(T0 + 12 * HOUR);

    await startAgent({ refresh: { enabled: false } });
    await advanceTo(T0 + 12 * DAY);

    expect(requestTimes()).toEqual([0]);
  });

  it('fetches once at start in API-key mode when the cache is older than an interval, then never again (driver mode)', async () => {
    const { startAgent, restartAt, advanceTo, requestTimes } = world();
    const first = await startAgent();
    await first.stop();
    restartAt(T0 + 2 * DAY);

    await startAgent({ refresh: { enabled: false } });
    await advanceTo(T0 + 12 * DAY);

    expect(requestTimes()).toEqual([0, 2 * DAY]);
  });
});
