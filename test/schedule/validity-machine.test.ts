/**
 * The license's stages on the statechart alone: the validity region moves through `valid` (long
 * term, within a month, within a week), `expiringSoon`, `grace` (early, mid) and `degraded` at the
 * exact instants its timers are armed for (exp − 30 d, exp − 7 d, exp − 48 h, exp, exp + half the
 * grace's whole days rounded down, exp + grace), asks for its log lines on entry, and starts in the
 * stage the clock says. The license here has no refresh path, so nothing but the validity timers
 * moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentInput } from '../../machines/license-agent.machine.js';
import { licenseAt, runMachine, type ValidityLog } from './support/machine.js';
import { DAY, HOUR, MINUTE, T0 } from './support/world.js';

let running: ReturnType<typeof runMachine> | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

/** Expiry of the license under test: 40 days after start-up, so every stage lies ahead. */
const EXP = 40 * DAY;
const GRACE = 14 * DAY;

/** A static license without `refresh_url` (no refresh path) expiring at `exp` ms after T0. */
function offlineInput(exp: number | undefined, overrides: Partial<AgentInput> = {}): Partial<AgentInput> {
  return {
    mode: 'static-jwt',
    license: licenseAt(T0 - DAY, exp === undefined ? undefined : T0 + exp),
    needsFirstLicense: false,
    ...overrides,
  };
}

function startOffline(exp: number | undefined, overrides: Partial<AgentInput> = {}) {
  running = runMachine({
    input: offlineInput(exp, overrides),
    answer: () => {
      throw new Error('a license without a refresh path is never fetched');
    },
  });
  return running;
}

const kinds = (logs: readonly ValidityLog[], kind: ValidityLog['kind']) => logs.filter((log) => log.kind === kind).map((log) => log.at);

describe('the validity stages of a license expiring 40 days after start-up (default 14-day grace)', () => {
  it('starts valid (long term) with more than 30 days left, and asks for no log', () => {
    const machine = startOffline(EXP);

    expect(machine.validity()).toBe('valid.longTerm');
    expect(machine.validityLogs).toEqual([]);
  });

  it.each([
    ['valid.longTerm', 'valid.withinMonth', 'exp − 30 d', EXP - 30 * DAY],
    ['valid.withinMonth', 'valid.withinWeek', 'exp − 7 d', EXP - 7 * DAY],
    ['valid.withinWeek', 'expiringSoon', 'exp − 48 h', EXP - 48 * HOUR],
    ['expiringSoon', 'grace.early', 'exp', EXP],
    ['grace.early', 'grace.mid', 'exp + 7 d', EXP + 7 * DAY],
    ['grace.mid', 'degraded', 'exp + 14 d', EXP + GRACE],
  ])('is still %s 1 ms before, and %s at exactly %s', async (before, after, _label, instant) => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + instant - 1);
    expect(machine.validity()).toBe(before);
    await machine.advanceTo(T0 + instant);

    expect(machine.validity()).toBe(after);
  });

  it('stays degraded once the grace period is over (a year later)', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP + 365 * DAY);

    expect(machine.validity()).toBe('degraded');
  });

  it('asks for the month notice once, at exp − 30 d', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP - 7 * DAY - 1);

    expect(kinds(machine.validityLogs, 'month')).toEqual([EXP - 30 * DAY]);
  });

  it('asks for the week warning at exp − 7 d, then once a day until exp − 48 h', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP);

    expect(kinds(machine.validityLogs, 'week')).toEqual([EXP - 7 * DAY, EXP - 6 * DAY, EXP - 5 * DAY, EXP - 4 * DAY, EXP - 3 * DAY]);
  });

  it('asks for the expiring-soon error once, at exp − 48 h', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP + GRACE + 10 * DAY);

    expect(kinds(machine.validityLogs, 'expiringSoon')).toEqual([EXP - 48 * HOUR]);
  });

  it('asks for the grace warning at exp, then once a day until the grace ends (none at the instant it ends)', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP + GRACE + 10 * DAY);

    const daily = Array.from({ length: 14 }, (_, day) => EXP + day * DAY);
    expect(kinds(machine.validityLogs, 'grace')).toEqual(daily);
  });

  it('asks for the degradation error once, at exp + 14 d', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP + GRACE + 10 * DAY);

    expect(kinds(machine.validityLogs, 'degraded')).toEqual([EXP + GRACE]);
  });

  it('asks for the stage logs in the order a license lives through them', async () => {
    const machine = startOffline(EXP);

    await machine.advanceTo(T0 + EXP + GRACE + 10 * DAY);

    const order = machine.validityLogs.map((log) => log.kind).filter((kind, i, all) => kind !== all[i - 1]);
    expect(order).toEqual(['month', 'week', 'expiringSoon', 'grace', 'degraded']);
  });
});

describe('a license with no exp', () => {
  it('stays valid (long term) for 10 years', async () => {
    const machine = startOffline(undefined);

    await machine.advanceTo(T0 + 3_650 * DAY);

    expect(machine.validity()).toBe('valid.longTerm');
    expect(machine.validityLogs).toEqual([]);
  });

  it('arms no validity timer that could ever fire', () => {
    const machine = startOffline(undefined);

    expect(machine.clock.nextDueAt()).toBeUndefined();
  });
});

describe('a custom grace period', () => {
  it('degrades at exactly exp + 3 d with a 3-day grace', async () => {
    const machine = startOffline(EXP, { gracePeriodMs: 3 * DAY });

    await machine.advanceTo(T0 + EXP + 3 * DAY - 1);
    expect(machine.validity()).toBe('grace.mid');
    await machine.advanceTo(T0 + EXP + 3 * DAY);

    expect(machine.validity()).toBe('degraded');
  });

  it('turns mid at exp + 1 d with a 3-day grace: half of 3 days, rounded down', async () => {
    const machine = startOffline(EXP, { gracePeriodMs: 3 * DAY });

    await machine.advanceTo(T0 + EXP + DAY - 1);
    expect(machine.validity()).toBe('grace.early');
    await machine.advanceTo(T0 + EXP + DAY);

    expect(machine.validity()).toBe('grace.mid');
  });

  it('has no early part of grace when grace is shorter than 2 days', async () => {
    const machine = startOffline(EXP, { gracePeriodMs: 36 * HOUR });
    const seen = new Set<string>();
    machine.actor.subscribe((snapshot) => void seen.add(JSON.stringify(snapshot.value)));

    await machine.advanceTo(T0 + EXP + 30 * DAY);

    expect([...seen].filter((value) => value.includes('early'))).toEqual([]);
    expect([...seen].filter((value) => value.includes('mid'))).not.toEqual([]);
    expect(machine.validity()).toBe('degraded');
  });

  it('asks for a grace warning on each of the 3 days, and the degradation error once', async () => {
    const machine = startOffline(EXP, { gracePeriodMs: 3 * DAY });

    await machine.advanceTo(T0 + EXP + 30 * DAY);

    expect(kinds(machine.validityLogs, 'grace')).toEqual([EXP, EXP + DAY, EXP + 2 * DAY]);
    expect(kinds(machine.validityLogs, 'degraded')).toEqual([EXP + 3 * DAY]);
  });

  it('stays in grace for 30 days with a 30-day grace', async () => {
    const machine = startOffline(EXP, { gracePeriodMs: 30 * DAY });

    await machine.advanceTo(T0 + EXP + 30 * DAY - 1);
    expect(machine.validity()).toBe('grace.mid');
    await machine.advanceTo(T0 + EXP + 30 * DAY);

    expect(machine.validity()).toBe('degraded');
  });

  it.each([
    ['30-day', 30, 15],
    ['15-day', 15, 7],
    ['14-day', 14, 7],
  ])('moves from grace.early to grace.mid at exactly the half of a %s grace (day %i → %i)', async (_label, days, half) => {
    const machine = startOffline(EXP, { gracePeriodMs: days * DAY });

    await machine.advanceTo(T0 + EXP + half * DAY - 1);
    expect(machine.validity()).toBe('grace.early');
    await machine.advanceTo(T0 + EXP + half * DAY);

    expect(machine.validity()).toBe('grace.mid');
  });

  it('starts in grace.mid when started 16 days after expiry with a 30-day grace', () => {
    expect(startOffline(-16 * DAY, { gracePeriodMs: 30 * DAY }).validity()).toBe('grace.mid');
  });

  it('starts in grace.early when started 14 days after expiry with a 30-day grace', () => {
    expect(startOffline(-14 * DAY, { gracePeriodMs: 30 * DAY }).validity()).toBe('grace.early');
  });
});

describe('the stage at start-up', () => {
  it.each([
    ['valid.longTerm', 'in 31 days', 31 * DAY],
    ['valid.withinMonth', 'in exactly 30 days', 30 * DAY],
    ['valid.withinMonth', 'in 8 days', 8 * DAY],
    ['valid.withinWeek', 'in exactly 7 days', 7 * DAY],
    ['valid.withinWeek', 'in 49 hours', 49 * HOUR],
    ['expiringSoon', 'in exactly 48 hours', 48 * HOUR],
    ['expiringSoon', 'in 1 second', 1_000],
    ['grace.early', 'right now', 0],
    ['grace.early', '3 days ago', -3 * DAY],
    ['grace.mid', 'exactly 7 days ago', -7 * DAY],
    ['grace.mid', '13 days ago', -13 * DAY],
    ['degraded', 'exactly 14 days ago', -14 * DAY],
    ['degraded', '400 days ago', -400 * DAY],
  ])('starts %s when the license expires %s', (leaf, _when, expiresIn) => {
    const machine = startOffline(expiresIn);

    expect(machine.validity()).toBe(leaf);
  });

  it('asks for the degradation error at once, and nothing else, when exp is already past the grace period', () => {
    const machine = startOffline(-20 * DAY);

    expect(machine.validityLogs).toEqual([{ at: 0, kind: 'degraded' }]);
  });

  it('asks for one grace warning at once when started inside grace', () => {
    const machine = startOffline(-9 * DAY);

    expect(machine.validityLogs).toEqual([{ at: 0, kind: 'grace' }]);
  });

  it('degrades at exactly exp + 14 d when started inside grace', async () => {
    const machine = startOffline(-9 * DAY);

    await machine.advanceTo(T0 + 5 * DAY - 1);
    expect(machine.validity()).toBe('grace.mid');
    await machine.advanceTo(T0 + 5 * DAY);

    expect(machine.validity()).toBe('degraded');
  });
});

describe('a refresh that brings a valid license', () => {
  /** API-key mode, degraded at start-up; the server answers from `answerFrom` on. */
  function degradedAtStart(answerFrom: number) {
    running = runMachine({
      input: {
        license: licenseAt(T0 - 30 * DAY, T0 - 20 * DAY),
        lastRefreshAt: T0 - 30 * DAY,
        needsFirstLicense: false,
      },
      answer: (_input, now) => {
        if (now - T0 < answerFrom) throw Object.assign(new Error('down'), { status: 503 });
        return licenseAt(now, now + 60 * DAY);
      },
    });
    return running;
  }

  it('returns the region from degraded to valid at the instant the refresh succeeds', async () => {
    // Forced attempts from start-up back off 1, 2, 4, ... 60 min; the server answers from 3 h on,
    // so the attempt at 3 h 03 min is the first to succeed.
    const machine = degradedAtStart(3 * HOUR);
    await machine.advanceTo(T0 + 183 * MINUTE - 1);
    expect(machine.validity()).toBe('degraded');

    await machine.advanceTo(T0 + 183 * MINUTE);

    expect(machine.calls.map((call) => call.at / MINUTE)).toEqual([0, 1, 3, 7, 15, 31, 63, 123, 183]);
    expect(machine.validity()).toBe('valid.longTerm');
  });

  it('returns the region from the last week to valid (long term) at the refresh that brings a 60-day license', async () => {
    running = runMachine({
      input: { license: licenseAt(T0 - DAY, T0 + 5 * DAY), lastRefreshAt: T0, needsFirstLicense: false },
      answer: (_input, now) => licenseAt(now, now + 60 * DAY),
    });
    expect(running.validity()).toBe('valid.withinWeek');

    await running.advanceTo(T0 + 6 * HOUR);

    expect(running.calls).toEqual([{ at: 6 * HOUR, forced: false }]);
    expect(running.validity()).toBe('valid.longTerm');
  });

  it('asks for no further last-week warning once a refresh brought a 60-day license', async () => {
    running = runMachine({
      input: { license: licenseAt(T0 - DAY, T0 + 5 * DAY), lastRefreshAt: T0, needsFirstLicense: false },
      answer: (_input, now) => licenseAt(now, now + 60 * DAY),
    });

    await running.advanceTo(T0 + 10 * DAY);

    expect(running.validityLogs).toEqual([{ at: 0, kind: 'week' }]);
  });

  it('returns the region from grace to valid at once', async () => {
    running = runMachine({
      input: { license: licenseAt(T0 - 30 * DAY, T0 - 2 * DAY), lastRefreshAt: T0 - 30 * DAY, needsFirstLicense: false },
      answer: (_input, now) => licenseAt(now, now + 60 * DAY),
    });
    expect(running.validity()).toBe('grace.early');

    await running.advanceTo(T0);

    expect(running.calls).toEqual([{ at: 0, forced: true }]);
    expect(running.validity()).toBe('valid.longTerm');
  });
});
