/**
 * A license's life, with the real agent in simulated time: a static license without `refresh_url`
 * (so that no refresh moves its expiry) lives through every validity stage at its exact instant,
 * with the log lines, `status()`, `license()` and `licenseChanged` an operator and the server see
 * at each.
 */
import { describe, expect, it } from 'vitest';
import type { EffectiveLicense } from '../../src/index.js';
import type { LicenseAgentOptions } from '../../src/config/options.js';
import { ERROR, INFO, WARN } from '../support/logs.js';
import { COMMUNITY_QUOTAS, PAID, PAID_QUOTAS, iso, mintExpiring, validityLines } from './support/licenses.js';
import { KNOWN_FEATURES } from '../../src/license/claims.js';
import { DAY, HOUR, T0, useScheduleWorld } from './support/world.js';

/** The license expires 40 days after start-up: every stage lies ahead. */
const EXP = T0 + 40 * DAY;
const GRACE_END = EXP + 14 * DAY;

describe('a paid license expiring 40 days after start-up (static, no refresh_url, default 14-day grace)', () => {
  const world = useScheduleWorld();

  async function start(expiresIn: number | null = EXP - T0, options: Partial<LicenseAgentOptions> = {}) {
    const w = world();
    const licenseKey = await mintExpiring(w.server, expiresIn);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey, ...options });
    const validityLogs = () => validityLines(w.logs);
    return { ...w, agent, validityLogs };
  }

  describe('before expiry', () => {
    it('logs nothing about expiry until exp − 30 d', async () => {
      const { advanceTo, validityLogs } = await start();

      await advanceTo(EXP - 30 * DAY - 1);

      expect(validityLogs()).toEqual([]);
    });

    it('logs an info at exactly exp − 30 d naming the expiry instant and the end of grace', async () => {
      const { advanceTo, validityLogs } = await start();

      await advanceTo(EXP - 30 * DAY);

      expect(validityLogs()).toHaveLength(1);
      const [notice] = validityLogs();
      expect(notice).toMatchObject({ level: INFO, expiresAt: iso(EXP), graceEndsAt: iso(GRACE_END) });
      expect(notice?.msg).toContain(iso(EXP));
      expect(notice?.msg).toContain(iso(GRACE_END));
    });

    it('warns at exactly exp − 7 d, naming the expiry, the end of grace and what will be lost', async () => {
      const { advanceTo, validityLogs } = await start();
      await advanceTo(EXP - 7 * DAY - 1);
      const before = validityLogs().length;

      await advanceTo(EXP - 7 * DAY);

      const added = validityLogs().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ level: WARN, expiresAt: iso(EXP), graceEndsAt: iso(GRACE_END) });
      expect(added[0]?.msg).toContain('Enterprise');
    });

    it('warns once a day through the last week: one more warning at each of exp − 6, 5, 4 and 3 d', async () => {
      const { advanceTo, validityLogs } = await start();
      const warnings = () => validityLogs().filter((line) => line.level === WARN).length;

      const counts: number[] = [];
      for (let day = 7; day >= 3; day--) {
        await advanceTo(EXP - day * DAY - 1);
        counts.push(warnings());
        await advanceTo(EXP - day * DAY);
        counts.push(warnings());
      }

      expect(counts).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
    });

    it('logs an error at exactly exp − 48 h, and no further week warning', async () => {
      const { advanceTo, validityLogs } = await start();
      await advanceTo(EXP - 48 * HOUR - 1);
      const before = validityLogs().length;

      await advanceTo(EXP - 48 * HOUR);

      const added = validityLogs().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ level: ERROR, expiresAt: iso(EXP), graceEndsAt: iso(GRACE_END) });
    });

    it('reports expiringSoon from exp − 48 h, with the paid tier still in force', async () => {
      const { advanceTo, agent } = await start();
      await advanceTo(EXP - 48 * HOUR - 1);
      expect(agent.status().validity).toBe('valid');

      await advanceTo(EXP - 48 * HOUR);

      expect(agent.status()).toMatchObject({ validity: 'expiringSoon', tier: 'Enterprise', grace: 'none', degraded: false });
    });
  });

  describe('in grace', () => {
    it('enters grace at exactly exp: status grace early, 0 days expired, 14 days of grace left', async () => {
      const { advanceTo, agent } = await start();
      await advanceTo(EXP - 1);
      expect(agent.status()).toMatchObject({ validity: 'expiringSoon', grace: 'none' });

      await advanceTo(EXP);

      expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'early', daysExpired: 0, graceDaysRemaining: 14 });
    });

    it('warns once on entering grace, in SoftClient4ES\'s words: renew at the portal', async () => {
      const { advanceTo, validityLogs } = await start();
      await advanceTo(EXP - 1);
      const before = validityLogs().length;

      await advanceTo(EXP);

      const added = validityLogs().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ level: WARN, grace: 'early', daysExpired: 0, graceDaysRemaining: 14, graceEndsAt: iso(GRACE_END) });
      expect(added[0]?.msg).toBe('License expired 0 days ago. Renew at https://portal.softclient4es.com');
    });

    it('warns from exp + 7 d that the service degrades to Community, counting the days down', async () => {
      const { advanceTo, validityLogs } = await start();
      await advanceTo(EXP + 7 * DAY - 1);
      const before = validityLogs().length;

      await advanceTo(EXP + 8 * DAY);

      expect(validityLogs().slice(before).map((line) => [line['grace'], line.msg])).toEqual([
        ['mid', 'License expired 7 days ago. Service will degrade to Community in 7 days.'],
        ['mid', 'License expired 8 days ago. Service will degrade to Community in 6 days.'],
      ]);
    });

    it('warns at most once a day through grace: 14 warnings in 14 days, one per day', async () => {
      const { advanceTo, validityLogs } = await start();
      const graceWarnings = () => validityLogs().filter((line) => line['graceDaysRemaining'] !== undefined);

      const perDay: number[] = [];
      for (let day = 0; day < 14; day++) {
        const before = graceWarnings().length;
        await advanceTo(EXP + (day + 1) * DAY - 1);
        perDay.push(graceWarnings().length - before);
      }

      expect(perDay).toEqual(Array.from({ length: 14 }, () => 1));
      expect(graceWarnings().map((line) => line['graceDaysRemaining'])).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    });

    it('reports grace early up to the last instant of the first 7 days', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(EXP + 7 * DAY - 1);

      expect(agent.status()).toMatchObject({ grace: 'early', daysExpired: 6, graceDaysRemaining: 8 });
    });

    it('reports grace mid from exactly exp + 7 d', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(EXP + 7 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'mid', daysExpired: 7, graceDaysRemaining: 7 });
    });

    it('reports 1 day of grace left on the last day', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END - 12 * HOUR);

      expect(agent.status()).toMatchObject({ grace: 'mid', daysExpired: 13, graceDaysRemaining: 1 });
    });

    it('keeps the paid tier, features and quotas in license() through grace', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END - 1);

      expect(agent.license()).toMatchObject({ tier: 'Enterprise', features: PAID.features, quotas: PAID_QUOTAS, degraded: false, grace: 'mid' });
      expect(agent.hasFeature('federation')).toBe(true);
      expect(agent.quota('max_joins')).toBe(20);
    });

    it('announces entering grace and its mid part with licenseChanged, keeping the paid tier', async () => {
      const { advanceTo, agent } = await start();
      const changes: Array<[string, string, string]> = [];
      agent.on('licenseChanged', (next, previous) => changes.push([next.tier, previous.grace, next.grace]));

      await advanceTo(GRACE_END - 1);

      expect(changes).toEqual([
        ['Enterprise', 'none', 'early'],
        ['Enterprise', 'early', 'mid'],
      ]);
    });
  });

  describe('degraded', () => {
    it('is still in grace 1 ms before exp + 14 d', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END - 1);

      expect(agent.status()).toMatchObject({ validity: 'grace', tier: 'Enterprise', degraded: false });
    });

    it('reports tier Community, degraded and the lapsed license in status() at exactly exp + 14 d', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END);

      expect(agent.status()).toMatchObject({
        validity: 'degraded',
        tier: 'Community',
        degraded: true,
        grace: 'none',
        degradedFrom: { licenseId: PAID.sub, tier: 'Enterprise' },
        expiresAt: iso(EXP),
      });
    });

    it('reports the Community quotas (1, 10000, 1, 2) in status() once degraded', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END);

      expect(agent.status()).toMatchObject({ quotas: COMMUNITY_QUOTAS });
    });

    it('serves Community terms from license(), hasFeature() and quota() once degraded', async () => {
      const { advanceTo, agent } = await start();

      await advanceTo(GRACE_END);

      // SoftClient4ES's Community has every feature: the quotas are what a degradation takes away.
      expect(agent.license()).toMatchObject({ tier: 'Community', features: KNOWN_FEATURES, quotas: COMMUNITY_QUOTAS, degraded: true, grace: 'none' });
      expect(agent.hasFeature('materialized_views')).toBe(true);
      expect(agent.quota('max_joins')).toBe(2);
      expect(agent.quota('max_query_results')).toBe(10_000);
    });

    it('emits licenseChanged with the Community license and the lapsed one at exactly exp + 14 d', async () => {
      const { advanceTo, agent, clock } = await start();
      await advanceTo(GRACE_END - 1);
      const changes: Array<{ at: number; next: EffectiveLicense; previous: EffectiveLicense }> = [];
      agent.on('licenseChanged', (next, previous) => changes.push({ at: clock.now(), next, previous }));

      await advanceTo(GRACE_END + DAY);

      expect(changes).toHaveLength(1);
      expect(changes[0]?.at).toBe(GRACE_END);
      expect(changes[0]?.next).toMatchObject({ tier: 'Community', degraded: true, licenseId: PAID.sub });
      expect(changes[0]?.previous).toMatchObject({ tier: 'Enterprise', degraded: false, grace: 'mid' });
    });

    it('logs one error at exp + 14 d saying why and how to recover, and no more over 30 days', async () => {
      const { advanceTo, validityLogs } = await start();
      await advanceTo(GRACE_END - 1);
      const before = validityLogs().length;

      await advanceTo(GRACE_END + 30 * DAY);

      const added = validityLogs().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ level: ERROR, degraded: true, expiresAt: iso(EXP), graceEndsAt: iso(GRACE_END) });
      expect(added[0]?.msg).toMatch(/Community/);
      expect(added[0]?.msg).toMatch(/renewed license/);
    });
  });

  describe('at start-up', () => {
    it('starts degraded when exp is already past the grace period', async () => {
      const { agent } = await start(-20 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community', degraded: true, degradedFrom: { licenseId: PAID.sub } });
      expect(agent.quota('max_joins')).toBe(2);
    });

    it('logs the degradation error at start-up when exp is already past the grace period', async () => {
      const { validityLogs } = await start(-20 * DAY);

      expect(validityLogs().map((line) => line.level)).toEqual([ERROR]);
    });

    it('starts in grace (early) when the license expired 3 days ago, with the paid tier', async () => {
      const { agent } = await start(-3 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'early', daysExpired: 3, graceDaysRemaining: 11, tier: 'Enterprise' });
    });

    it('starts in grace (mid) when the license expired 9 days ago', async () => {
      const { agent } = await start(-9 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'mid', daysExpired: 9, graceDaysRemaining: 5, tier: 'Enterprise' });
    });

    it('degrades at exactly exp + 14 d when started inside grace', async () => {
      const { agent, advanceTo } = await start(-9 * DAY);

      await advanceTo(T0 + 5 * DAY - 1);
      expect(agent.status().degraded).toBe(false);
      await advanceTo(T0 + 5 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
    });
  });

  describe('with no exp', () => {
    it('stays valid with the paid tier for 10 years, and never logs about expiry', async () => {
      const { agent, advanceTo, validityLogs } = await start(null);

      await advanceTo(T0 + 3_650 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'valid', tier: 'Enterprise', expiresAt: null, daysRemaining: null, grace: 'none' });
      expect(validityLogs()).toEqual([]);
    });
  });

  describe('with gracePeriod "3d"', () => {
    it('degrades at exactly exp + 3 d', async () => {
      const { agent, advanceTo } = await start(EXP - T0, { gracePeriod: '3d' });

      await advanceTo(EXP + 3 * DAY - 1);
      expect(agent.status()).toMatchObject({ validity: 'grace', graceDaysRemaining: 1 });
      await advanceTo(EXP + 3 * DAY);

      expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
    });

    it('names the 3-day grace end in the expiry logs', async () => {
      const { advanceTo, validityLogs } = await start(EXP - T0, { gracePeriod: '3d' });

      await advanceTo(EXP - 30 * DAY);

      expect(validityLogs()[0]).toMatchObject({ graceEndsAt: iso(EXP + 3 * DAY) });
    });

    it('reports grace early for the first day only (half of 3 days, rounded down), mid from exp + 1 d', async () => {
      const { agent, advanceTo } = await start(EXP - T0, { gracePeriod: '3d' });

      await advanceTo(EXP + DAY - 1);
      expect(agent.status()).toMatchObject({ grace: 'early', daysExpired: 0, graceDaysRemaining: 3 });
      await advanceTo(EXP + DAY);

      expect(agent.status()).toMatchObject({ grace: 'mid', daysExpired: 1, graceDaysRemaining: 2 });
    });
  });

  describe('with gracePeriod "30d"', () => {
    it('reports grace early up to the last instant of the first 15 days, mid from exactly exp + 15 d', async () => {
      const { agent, advanceTo } = await start(EXP - T0, { gracePeriod: '30d' });

      await advanceTo(EXP + 15 * DAY - 1);
      expect(agent.status()).toMatchObject({ grace: 'early', daysExpired: 14, graceDaysRemaining: 16 });
      await advanceTo(EXP + 15 * DAY);

      expect(agent.status()).toMatchObject({ grace: 'mid', daysExpired: 15, graceDaysRemaining: 15 });
    });

    it('says renew at the portal on day 14, and degrade to Community in 15 days on day 15', async () => {
      const { advanceTo, validityLogs } = await start(EXP - T0, { gracePeriod: '30d' });
      await advanceTo(EXP + 14 * DAY - 1);
      const before = validityLogs().length;

      await advanceTo(EXP + 15 * DAY);

      expect(validityLogs().slice(before).map((line) => line.msg)).toEqual([
        'License expired 14 days ago. Renew at https://portal.softclient4es.com',
        'License expired 15 days ago. Service will degrade to Community in 15 days.',
      ]);
    });
  });

  describe('with gracePeriod "15d"', () => {
    it('turns mid at exactly exp + 7 d: half of 15 days, rounded down', async () => {
      const { agent, advanceTo } = await start(EXP - T0, { gracePeriod: '15d' });

      await advanceTo(EXP + 7 * DAY - 1);
      expect(agent.status()).toMatchObject({ grace: 'early', daysExpired: 6, graceDaysRemaining: 9 });
      await advanceTo(EXP + 7 * DAY);

      expect(agent.status()).toMatchObject({ grace: 'mid', daysExpired: 7, graceDaysRemaining: 8 });
    });
  });
});
