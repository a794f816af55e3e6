/**
 * The validity notices skip the work of a notice the logger would drop, and skipping one does not
 * use up its once-per-stage allowance. The grace warning speaks SoftClient4ES's words: renew at the
 * portal in early grace, the countdown to Community in mid grace.
 */
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../machines/context.js';
import { createValidityLogs, graceMessage } from '../../src/effects/validity-log.js';
import { API_KEY_INPUT, licenseAt } from '../schedule/support/machine.js';
import { DAY, HOUR, T0 } from '../schedule/support/world.js';
import { captureLogs } from '../support/logs.js';
import { nextTurn } from '../support/timers.js';

/** A context holding a license that expires in 20 days: the month notice is due. */
function withinMonth(): { context: AgentContext } {
  const context = {
    ...API_KEY_INPUT,
    time: { now: () => T0, random: () => 0 },
    license: licenseAt(T0 - DAY, T0 + 20 * DAY),
    nextRefreshAt: T0 + DAY,
    forcedNotBefore: T0,
    failures: 0,
    lastAttemptAt: undefined,
  } satisfies AgentContext;
  return { context };
}

describe('validity notices and the logger level', () => {
  it('logs nothing for the month notice when the level is warn', async () => {
    const { logger: log, lines } = captureLogs('warn');
    createValidityLogs(log, () => T0).logExpiryNotice(withinMonth(), { stage: 'month' });
    await nextTurn();

    expect(lines).toEqual([]);
  });

  it('says the month notice once the level allows it, though it was skipped before', async () => {
    const { logger: log, lines } = captureLogs('warn');
    const logs = createValidityLogs(log, () => T0);
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    log.level = 'info';
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    await nextTurn();

    expect(lines.map((line) => line.level)).toEqual([30]);
    expect(lines[0]?.msg).toMatch(/^license lic-pro expires at /);
  });
});

/** A context at `now` holding a license that expired `expiredFor` ms before, with `graceDays` of grace. */
function inGrace(expiredFor: number, graceDays = 14): { context: AgentContext } {
  const { context } = withinMonth();
  return {
    context: {
      ...context,
      gracePeriodMs: graceDays * DAY,
      license: licenseAt(T0 - 60 * DAY, T0 - expiredFor),
    },
  };
}

describe('the grace warning, in SoftClient4ES\'s words', () => {
  it('says "Renew at" the portal in early grace', () => {
    expect(graceMessage('early', 3, 11)).toBe('License expired 3 days ago. Renew at https://portal.softclient4es.com');
  });

  it('counts down to Community in mid grace', () => {
    expect(graceMessage('mid', 10, 4)).toBe('License expired 10 days ago. Service will degrade to Community in 4 days.');
  });

  it.each([
    [14, 3 * DAY + HOUR, 'early', 'License expired 3 days ago. Renew at https://portal.softclient4es.com'],
    [14, 7 * DAY - 1_000, 'early', 'License expired 6 days ago. Renew at https://portal.softclient4es.com'],
    [14, 7 * DAY, 'mid', 'License expired 7 days ago. Service will degrade to Community in 7 days.'],
    [14, 10 * DAY + 5 * HOUR, 'mid', 'License expired 10 days ago. Service will degrade to Community in 4 days.'],
    [30, 14 * DAY + 23 * HOUR, 'early', 'License expired 14 days ago. Renew at https://portal.softclient4es.com'],
    [30, 20 * DAY, 'mid', 'License expired 20 days ago. Service will degrade to Community in 10 days.'],
  ])('with %i days of grace, %i ms after expiry, warns in %s grace: %s', async (graceDays, expiredFor, stage, message) => {
    const { logger: log, lines } = captureLogs('info');
    createValidityLogs(log, () => T0).logGrace(inGrace(expiredFor, graceDays));
    await nextTurn();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, grace: stage, msg: message, licenseId: 'lic-pro', tier: 'Pro' });
  });

  it('keeps the structured fields: the day counts, the expiry and the end of grace', async () => {
    const { logger: log, lines } = captureLogs('info');
    createValidityLogs(log, () => T0).logGrace(inGrace(10 * DAY));
    await nextTurn();

    expect(lines[0]).toMatchObject({
      daysExpired: 10,
      graceDaysRemaining: 4,
      expiresAt: new Date(T0 - 10 * DAY).toISOString(),
      graceEndsAt: new Date(T0 + 4 * DAY).toISOString(),
    });
  });

  it('says it at most once a day for the same license', async () => {
    const { logger: log, lines } = captureLogs('info');
    let now = T0;
    const logs = createValidityLogs(log, () => now);
    const context = inGrace(8 * DAY);
    logs.logGrace(context);
    now = T0 + 23 * HOUR;
    logs.logGrace(context);
    now = T0 + DAY;
    logs.logGrace(context);
    await nextTurn();

    expect(lines.map((line) => line.msg)).toEqual([
      'License expired 8 days ago. Service will degrade to Community in 6 days.',
      'License expired 9 days ago. Service will degrade to Community in 5 days.',
    ]);
  });
});
