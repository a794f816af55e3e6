/**
 * The license's stage is re-checked against the wall clock whenever a timer fires or the process
 * wakes from a suspend, so a late timer never leaves a wrong tier in place. The agent runs on a
 * suspendable simulated clock: `suspend(ms)` moves the wall clock without firing anything, and
 * every pending timer then fires `ms` late, as Node's monotonic timers do after a real suspend.
 * With a custom clock the agent runs no watchdog of its own, so the test says when it woke
 * (`notifyClockJump()`), or lets the late timers fire.
 */
import { describe, expect, it } from 'vitest';
import type { EffectiveLicense } from '../../src/index.js';
import { SuspendableClock } from '../support/clocks.js';
import { ERROR, WARN } from '../support/logs.js';
import { PAID, mintExpiring, validityLines } from './support/licenses.js';
import { API_KEY, DAY, HOUR, PRO, T0, useScheduleWorld } from './support/world.js';

const suspendable = { clockAt: (at: number) => new SuspendableClock(at) };

describe('a suspend across the end of grace (static license expiring in 1 day, 14-day grace)', () => {
  const world = useScheduleWorld(undefined, suspendable);
  const EXP = T0 + DAY;

  async function startThenSuspend(suspendMs: number) {
    const w = world();
    const licenseKey = await mintExpiring(w.server, EXP - T0);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey });
    const changes: Array<{ next: EffectiveLicense; previous: EffectiveLicense }> = [];
    agent.on('licenseChanged', (next, previous) => changes.push({ next, previous }));
    w.clock.suspend(suspendMs);
    return { ...w, agent, changes };
  }

  it('runs no wake watchdog of its own on a custom clock: only the expiry timer is armed', async () => {
    const { clock } = await startThenSuspend(0);

    expect(clock.pendingCount()).toBe(1);
    expect(clock.nextDueAt()).toBe(EXP);
  });

  it('has not fired the expiry timer on waking: the tier is still the paid one', async () => {
    const { agent, clock } = await startThenSuspend(20 * DAY);

    expect(clock.nextDueAt()).toBeGreaterThan(clock.now());
    expect(agent.status()).toMatchObject({ validity: 'expiringSoon', tier: 'Enterprise' });
  });

  it('is degraded (Community) at once when told of the clock jump, before any timer fires', async () => {
    const { agent, clock } = await startThenSuspend(20 * DAY);

    agent.notifyClockJump();

    // The clock has not moved since the wake: no timer had a chance to fire.
    expect(clock.now()).toBe(T0 + 20 * DAY);
    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community', degraded: true, degradedFrom: { licenseId: PAID.sub } });
    expect(agent.quota('max_joins')).toBe(2);
  });

  it('goes from expiringSoon straight to degraded on the clock jump: one licenseChanged, no grace on the way', async () => {
    const { agent, changes } = await startThenSuspend(20 * DAY);

    agent.notifyClockJump();

    expect(changes).toHaveLength(1);
    expect(changes[0]?.next).toMatchObject({ tier: 'Community', degraded: true });
    expect(changes[0]?.previous).toMatchObject({ tier: 'Enterprise', grace: 'none' });
  });

  it('logs the degradation error once on the clock jump, and no grace warning', async () => {
    const { agent, logs } = await startThenSuspend(20 * DAY);
    const before = validityLines(logs).length;

    agent.notifyClockJump();

    expect(validityLines(logs).slice(before).map((line) => line.level)).toEqual([ERROR]);
  });

  it('enters grace mid at once when the suspend ends 9 days after expiry', async () => {
    const { agent } = await startThenSuspend(10 * DAY);

    agent.notifyClockJump();

    expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'mid', daysExpired: 9, graceDaysRemaining: 5, tier: 'Enterprise' });
  });

  it('changes nothing on a clock jump that crosses no stage', async () => {
    const { agent, changes, logs } = await startThenSuspend(HOUR);
    const before = logs.length;

    agent.notifyClockJump();

    expect(agent.status()).toMatchObject({ validity: 'expiringSoon', tier: 'Enterprise' });
    expect(changes).toEqual([]);
    expect(validityLines(logs.slice(before))).toEqual([]);
  });

  it('re-checks against the clock when the late expiry timer fires without a wake notice: straight to degraded', async () => {
    const { agent, clock, advanceTo, changes } = await startThenSuspend(20 * DAY);
    // The expiry timer was armed for 1 day on the monotonic clock: it fires 20 days late.
    const lateExpiry = clock.nextDueAt() as number;
    expect(lateExpiry).toBe(EXP + 20 * DAY);

    await advanceTo(lateExpiry - 1);
    expect(agent.status().tier).toBe('Enterprise');
    await advanceTo(lateExpiry);

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
    expect(changes.map((change) => [change.previous.grace, change.next.tier])).toEqual([['none', 'Community']]);
  });

  it('logs no grace warning when the late expiry timer lands past the end of grace', async () => {
    const { clock, advanceTo, logs } = await startThenSuspend(20 * DAY);
    const before = validityLines(logs).length;

    await advanceTo(clock.nextDueAt() as number);

    expect(validityLines(logs).slice(before).map((line) => line.level)).toEqual([ERROR]);
  });
});

describe('a suspend inside grace that crosses no stage (static license that expired 13.5 days before start-up)', () => {
  const world = useScheduleWorld(undefined, suspendable);
  // Grace ends 12 h after start-up; the next daily grace reminder is due 24 h after start-up.
  const GRACE_END = T0 + 12 * HOUR;

  async function startInLateGrace() {
    const w = world();
    const licenseKey = await mintExpiring(w.server, GRACE_END - 14 * DAY - T0);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey });
    return { ...w, agent };
  }

  it('is still in grace after a 6-hour suspend and the wake notice', async () => {
    const { agent, clock } = await startInLateGrace();
    clock.suspend(6 * HOUR);

    agent.notifyClockJump();

    expect(agent.status()).toMatchObject({ validity: 'grace', grace: 'mid', tier: 'Enterprise' });
  });

  it('degrades at exactly exp + 14 d on the wall clock after the wake notice, not 6 hours late', async () => {
    const { agent, clock, advanceTo } = await startInLateGrace();
    clock.suspend(6 * HOUR);
    agent.notifyClockJump();

    await advanceTo(GRACE_END);

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
  });
});

describe('a late daily reminder that fires past the end of grace (no wake notice)', () => {
  const world = useScheduleWorld(undefined, suspendable);

  /** Starts on a static license expiring `expiresIn` after T0, then sleeps 20 days. */
  async function startThenSleep(expiresIn: number) {
    const w = world();
    const licenseKey = await mintExpiring(w.server, expiresIn);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey });
    w.clock.suspend(20 * DAY);
    const before = validityLines(w.logs).length;
    const addedLogs = () => validityLines(w.logs).slice(before);
    return { ...w, agent, addedLogs };
  }

  it('goes from the last week straight to degraded, logging only the degradation error', async () => {
    // Started 5 days before expiry: the daily reminder due after 1 day fires 20 days late, at exp + 16 d.
    const { agent, clock, advanceTo, addedLogs } = await startThenSleep(5 * DAY);
    const lateReminder = clock.nextDueAt() as number;
    expect(lateReminder).toBe(T0 + 21 * DAY);

    await advanceTo(lateReminder);

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
    expect(addedLogs().map((line) => line.level)).toEqual([ERROR]);
  });

  it('goes from grace straight to degraded, logging no grace warning with 0 days left', async () => {
    // Started a day after expiry: the daily grace reminder fires 20 days late, at exp + 22 d.
    const { agent, clock, advanceTo, addedLogs } = await startThenSleep(-DAY);
    const lateReminder = clock.nextDueAt() as number;
    expect(lateReminder).toBe(T0 + 21 * DAY);

    await advanceTo(lateReminder);

    expect(agent.status()).toMatchObject({ validity: 'degraded', tier: 'Community' });
    expect(addedLogs().map((line) => [line.level, line['graceDaysRemaining']])).toEqual([[ERROR, undefined]]);
  });
});

describe('a suspend across the regular refresh (API-key mode, 60-day licenses)', () => {
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 60 * DAY } }, suspendable);

  it('refreshes at once when told of the clock jump after a 30-hour suspend', async () => {
    const { startAgent, clock, advanceTo, requestTimes } = world();
    const agent = await startAgent();
    clock.suspend(30 * HOUR);

    agent.notifyClockJump();
    await advanceTo(clock.now());

    expect(requestTimes()).toEqual([0, 30 * HOUR]);
  });

  it('refreshes 30 hours late without a wake notice: the monotonic timer knows nothing of the suspend', async () => {
    const { startAgent, clock, advanceTo, requestTimes } = world();
    await startAgent();
    clock.suspend(30 * HOUR);

    await advanceTo(T0 + DAY + 30 * HOUR);

    expect(requestTimes()).toEqual([0, DAY + 30 * HOUR]);
  });

  it('keeps the paid license after the jump (nothing expired)', async () => {
    const { startAgent, clock, logs } = world();
    const agent = await startAgent();
    clock.suspend(30 * HOUR);

    agent.notifyClockJump();

    expect(agent.status()).toMatchObject({ validity: 'valid', tier: 'Pro' });
    expect(logs.filter((line) => line.level >= WARN && line['graceEndsAt'] !== undefined)).toEqual([]);
  });
});
