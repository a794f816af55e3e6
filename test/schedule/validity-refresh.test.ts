/**
 * Refreshing near and past expiry, with the real agent and the reference server in simulated time:
 * the refresh cadence tightens as expiry nears (at most every 6 h in the last week, never later
 * than exp − 7 d, a 1 min → 1 h backoff under 48 h), refreshes go on through grace and degradation,
 * failures near expiry are errors, and a successful refresh restores the paid tier.
 */
import { describe, expect, it } from 'vitest';
import type { EffectiveLicense } from '../../src/index.js';
import { ERROR, INFO, WARN } from '../support/logs.js';
import { COMMUNITY_QUOTAS, PAID, PAID_QUOTAS, mintExpiring } from './support/licenses.js';
import { API_KEY, DAY, HOUR, MINUTE, PRO, T0, useScheduleWorld } from './support/world.js';

const UNAVAILABLE = { status: 503, body: 'down for maintenance' };
const gapsOf = (times: readonly number[]) => times.slice(1).map((time, i) => time - (times[i] as number));

describe('the regular cadence as expiry nears (API-key mode, the server re-issues a license with a fixed exp)', () => {
  describe('a license expiring 10 days after start-up', () => {
    const world = useScheduleWorld({ [API_KEY]: { ...PRO, exp: (T0 + 10 * DAY) / 1000 } });

    it('refreshes daily until exp − 7 d, then every 6 hours', async () => {
      const { startAgent, advanceTo, requestTimes } = world();
      await startAgent();

      await advanceTo(T0 + 5 * DAY);

      expect(requestTimes()).toEqual([
        0, DAY, 2 * DAY, 3 * DAY,
        3 * DAY + 6 * HOUR, 3 * DAY + 12 * HOUR, 3 * DAY + 18 * HOUR,
        4 * DAY, 4 * DAY + 6 * HOUR, 4 * DAY + 12 * HOUR, 4 * DAY + 18 * HOUR,
        5 * DAY,
      ]);
    });

    it('reports the next refresh 6 hours out once inside the last week', async () => {
      const { startAgent, advanceTo } = world();
      const agent = await startAgent();

      await advanceTo(T0 + 4 * DAY);

      expect(agent.status().nextRefreshAt).toBe(new Date(T0 + 4 * DAY + 6 * HOUR).toISOString());
    });
  });

  describe('a license expiring 7 days and 10 hours after start-up', () => {
    const world = useScheduleWorld({ [API_KEY]: { ...PRO, exp: (T0 + 7 * DAY + 10 * HOUR) / 1000 } });

    it('schedules the next regular refresh at exp − 7 d (10 h), not 24 h after the last one', async () => {
      const { startAgent, advanceTo, requestTimes } = world();
      await startAgent();

      await advanceTo(T0 + 10 * HOUR - 1);
      expect(requestTimes()).toEqual([0]);
      await advanceTo(T0 + DAY);

      expect(requestTimes()).toEqual([0, 10 * HOUR, 16 * HOUR, 22 * HOUR]);
    });
  });

  describe('a 24-hour cadence far from expiry (a 60-day license)', () => {
    const world = useScheduleWorld({ [API_KEY]: { ...PRO, exp: (T0 + 60 * DAY) / 1000 } });

    it('keeps refreshing once a day while more than 7 days are left', async () => {
      const { startAgent, advanceTo, requestTimes } = world();
      await startAgent();

      await advanceTo(T0 + 5 * DAY);

      expect(gapsOf(requestTimes())).toEqual([DAY, DAY, DAY, DAY, DAY]);
    });
  });
});

describe('a failing refresh under 48 hours from expiry (static license with refresh_url, server down)', () => {
  const world = useScheduleWorld();

  /** A static license expiring `expiresIn` after T0, refreshable at the server; the server is down. */
  async function startDown(expiresIn: number, random = 0) {
    const w = world();
    const licenseKey = await mintExpiring(w.server, expiresIn, { refresh_url: w.server.refreshUrl });
    w.server.respondWith(() => UNAVAILABLE);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey, random: () => random });
    return { ...w, agent };
  }

  it('retries with a backoff from 1 minute doubling to 1 hour, not once a day', async () => {
    const { advanceTo, requestTimes } = await startDown(40 * HOUR);

    await advanceTo(T0 + 183 * MINUTE);

    expect(gapsOf(requestTimes()).map((gap) => gap / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('jitters the backoff up to 20% early: a draw of 0.5 gives 0.9, 1.8, 3.6 ... 54 minutes', async () => {
    const { advanceTo, requestTimes } = await startDown(40 * HOUR, 0.5);

    await advanceTo(T0 + 3 * HOUR);

    const nominal = [1, 2, 4, 8, 16, 32, 60, 60];
    expect(gapsOf(requestTimes()).slice(0, nominal.length)).toEqual(nominal.map((minutes) => minutes * MINUTE * 0.9));
  });

  it('never waits more than an hour between attempts until expiry', async () => {
    const { advanceTo, requestTimes } = await startDown(40 * HOUR);

    await advanceTo(T0 + 40 * HOUR);

    expect(Math.max(...gapsOf(requestTimes()))).toBeLessThanOrEqual(HOUR);
    expect(requestTimes().length).toBeGreaterThanOrEqual(40);
  });

  it('logs each failure under 48 hours as an error, not a warning', async () => {
    const { advanceTo, logs, requestTimes } = await startDown(40 * HOUR);

    await advanceTo(T0 + 2 * HOUR);

    const failures = logs.filter((line) => line.msg.startsWith('license refresh failed'));
    expect(failures).toHaveLength(requestTimes().length);
    expect(failures.map((line) => line.level)).toEqual(failures.map(() => ERROR));
    expect(failures[0]?.msg).toMatch(/503/);
  });

  it('logs the failure of the forced refresh that the 48-hour threshold starts as an error', async () => {
    // Expires at 50 h: the start-up refresh fails with 50 h left (a warning); the threshold's own
    // forced refresh at exactly exp − 48 h (2 h) fails too, and the license now expires within 48 h.
    const { advanceTo, logs, requestTimes } = await startDown(50 * HOUR);

    await advanceTo(T0 + 2 * HOUR);

    expect(requestTimes()).toEqual([0, 2 * HOUR]);
    const failures = logs.filter((line) => line.msg.startsWith('license refresh failed'));
    expect(failures.map((line) => [line.level, line['forced']])).toEqual([[WARN, false], [ERROR, true]]);
  });

  it('logs a failure as a warning while more than 48 hours are left', async () => {
    const { advanceTo, logs } = await startDown(48 * HOUR + 6 * HOUR);

    await advanceTo(T0 + 6 * HOUR - 1);

    const failures = logs.filter((line) => line.msg.startsWith('license refresh failed'));
    expect(failures.map((line) => line.level)).toEqual([WARN]);
  });

  it('keeps refreshing through grace: at least one attempt an hour over a day, 3 days after expiry', async () => {
    const { advanceTo, requestTimes, logs } = await startDown(-3 * DAY);

    await advanceTo(T0 + DAY);

    expect(requestTimes().length).toBeGreaterThanOrEqual(24);
    expect(Math.max(...gapsOf(requestTimes()))).toBeLessThanOrEqual(HOUR);
    const failures = logs.filter((line) => line.msg.startsWith('license refresh failed'));
    expect(failures.every((line) => line.level === ERROR)).toBe(true);
  });

  it('keeps refreshing while degraded: at least one attempt an hour over a day, 30 days after expiry', async () => {
    const { advanceTo, requestTimes, agent } = await startDown(-30 * DAY);
    expect(agent.status().degraded).toBe(true);

    await advanceTo(T0 + DAY);

    expect(requestTimes().length).toBeGreaterThanOrEqual(24);
    expect(Math.max(...gapsOf(requestTimes()))).toBeLessThanOrEqual(HOUR);
  });

  it('keeps the paid license in force while refreshes fail in grace', async () => {
    const { advanceTo, agent } = await startDown(-3 * DAY);

    await advanceTo(T0 + DAY);

    expect(agent.license()).toMatchObject({ tier: 'Enterprise', quotas: PAID_QUOTAS, grace: 'early' });
  });
});

describe('a successful refresh while degraded (static license with refresh_url, expired 30 days ago)', () => {
  const world = useScheduleWorld();

  /** Degraded at start-up while the server is down; the server answers again at 2 h. */
  async function degradedUntilServerReturns() {
    const w = world();
    const licenseKey = await mintExpiring(w.server, -30 * DAY, { refresh_url: w.server.refreshUrl });
    w.server.respondWith(() => UNAVAILABLE);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey });
    const changes: Array<{ at: number; next: EffectiveLicense; previous: EffectiveLicense }> = [];
    agent.on('licenseChanged', (next, previous) => changes.push({ at: w.clock.now(), next, previous }));
    await w.advanceTo(T0 + 2 * HOUR);
    w.server.respondWith(undefined);
    const before = w.requestTimes().length;
    // Forced attempts back off 1, 2, 4, ... 60 min from start-up: 0, 1, 3, 7, 15, 31, 63, 123 min.
    const recoveredAt = T0 + 123 * MINUTE;
    return { ...w, agent, changes, before, recoveredAt };
  }

  it('is degraded (Community) until the first attempt after the server returns', async () => {
    const { agent, advanceTo, recoveredAt } = await degradedUntilServerReturns();

    await advanceTo(recoveredAt - 1);

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
  });

  it('returns to valid at the instant the refresh succeeds, with the paid tier, features and quotas back', async () => {
    const { agent, advanceTo, recoveredAt, requestTimes, before } = await degradedUntilServerReturns();

    await advanceTo(recoveredAt);

    expect(requestTimes().slice(before)).toEqual([recoveredAt - T0]);
    expect(agent.status()).toMatchObject({ validity: 'valid', tier: 'Enterprise', degraded: false, degradedFrom: null, grace: 'none' });
    expect(agent.license()).toMatchObject({ tier: 'Enterprise', features: PAID.features, quotas: PAID_QUOTAS, degraded: false });
    expect(agent.hasFeature('federation')).toBe(true);
  });

  it('emits licenseChanged with the restored license and the degraded Community one', async () => {
    const { advanceTo, recoveredAt, changes } = await degradedUntilServerReturns();

    await advanceTo(recoveredAt);

    expect(changes).toHaveLength(1);
    expect(changes[0]?.at).toBe(recoveredAt);
    expect(changes[0]?.next).toMatchObject({ tier: 'Enterprise', degraded: false, quotas: PAID_QUOTAS });
    expect(changes[0]?.previous).toMatchObject({ tier: 'Community', degraded: true, quotas: COMMUNITY_QUOTAS });
  });

  it("logs 'license restored' at info", async () => {
    const { advanceTo, recoveredAt, logs } = await degradedUntilServerReturns();

    await advanceTo(recoveredAt);

    const restored = logs.filter((line) => line.msg.startsWith('license restored'));
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ level: INFO, tier: 'Enterprise' });
  });

  it('returns to the daily cadence with the renewed 30-day license', async () => {
    const { advanceTo, recoveredAt, requestTimes, before } = await degradedUntilServerReturns();

    await advanceTo(recoveredAt + 2 * DAY);

    expect(requestTimes().slice(before)).toEqual([recoveredAt - T0, recoveredAt - T0 + DAY, recoveredAt - T0 + 2 * DAY]);
  });
});
