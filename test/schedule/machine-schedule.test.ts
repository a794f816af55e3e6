/**
 * The schedule arithmetic of the statechart, run alone on a simulated clock with a stubbed fetch:
 * exact instants for the jittered interval, the backoff after failed forced refreshes, and
 * `Retry-After`. The behaviours against the real server live in the other files of this folder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { httpFailure, licenseAt, runMachine, type Answer } from './support/machine.js';
import { DAY, HOUR, MINUTE, T0 } from './support/world.js';

let running: ReturnType<typeof runMachine> | undefined;
function start(options: Parameters<typeof runMachine>[0]) {
  running = runMachine(options);
  return running;
}
afterEach(() => {
  running?.stop();
  running = undefined;
});

/** A fresh 60-day license on every call: far from its last week, so the daily cadence applies. */
const renew = (_input: unknown, now: number) => licenseAt(now, now + 60 * DAY);
const unavailable = () => {
  throw httpFailure(503);
};

describe('the jittered regular interval', () => {
  it.each([0, 0.25, 0.5, 0.75, 0.999])('waits interval × (1 − %s × 0.05) after a success', async (draw) => {
    const machine = start({ answer: renew, random: () => draw });

    await machine.advanceTo(T0 + DAY);

    expect(machine.calls.map((call) => call.at)).toEqual([0, Math.round(DAY * (1 - draw * 0.05))]);
  });

  it('never waits longer than the interval nor less than interval × (1 − jitter)', async () => {
    let draw = 0;
    // A different draw for every delay, spread over [0, 1).
    const machine = start({ answer: renew, random: () => (draw = (draw + 0.377) % 1) });

    await machine.advanceTo(T0 + 30 * DAY);

    const times = machine.calls.map((call) => call.at);
    const gaps = times.slice(1).map((time, i) => time - (times[i] as number));
    expect(gaps.length).toBeGreaterThanOrEqual(30);
    for (const gap of gaps) {
      expect(gap).toBeLessThanOrEqual(DAY);
      expect(gap).toBeGreaterThanOrEqual(0.95 * DAY);
    }
  });

  it('spreads a fleet: different draws give different refresh instants', async () => {
    const early = start({ answer: renew, random: () => 0.9 });
    await early.advanceTo(T0 + DAY);
    const earlyTimes = early.calls.map((call) => call.at);
    early.stop();
    const late = start({ answer: renew, random: () => 0.1 });
    await late.advanceTo(T0 + DAY);

    expect(earlyTimes[1]).toBeLessThan(late.calls[1]?.at as number);
  });
});

/**
 * A license expiring at 60 h that was fetched an hour before start-up. Under 7 days from expiry the
 * regular refresh comes every 6 hours, so the regular ticks fall at 5 h, 11 h, 17 h and 23 h, and
 * none of them coincides with the 48-hour threshold at 12 h.
 */
const EXPIRING_AT_60_H = { license: licenseAt(T0 - HOUR, T0 + 60 * HOUR), lastRefreshAt: T0 - HOUR, needsFirstLicense: false };
const FORCED_FROM = 12 * HOUR;
/** Answers "no change" (204) before the 12-hour threshold, as `then` says from it on. */
const noChangeBeforeThreshold = (then: Answer): Answer => (input, now) => (now - T0 < FORCED_FROM ? undefined : then(input, now));

describe('a failing forced refresh (license expiring at 60 h, 6-hourly regular ticks answered "no change", server down from 12 h)', () => {
  /** Every fetch from 12 h on fails; the regular ticks before it keep the same license. */
  function failingForced(answer: Answer = unavailable) {
    return start({ input: EXPIRING_AT_60_H, answer: noChangeBeforeThreshold(answer) });
  }

  it('starts the forced refresh at exactly 12 h, after 6-hourly regular refreshes at 5 h and 11 h', async () => {
    const machine = failingForced();

    await machine.advanceTo(T0 + 12 * HOUR);

    expect(machine.calls).toEqual([
      { at: 5 * HOUR, forced: false },
      { at: 11 * HOUR, forced: false },
      { at: 12 * HOUR, forced: true },
    ]);
  });

  it('retries forced refreshes after 1, 2, 4, 8, 16, 32 min, then hourly', async () => {
    const machine = failingForced();

    await machine.advanceTo(T0 + 12 * HOUR + 63 * MINUTE + 2 * HOUR);

    const forced = machine.calls.filter((call) => call.forced).map((call) => call.at);
    const gaps = forced.slice(1).map((time, i) => (time - (forced[i] as number)) / MINUTE);
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('keeps the regular 6-hourly ticks (at 17 h and 23 h) while forced refreshes fail', async () => {
    const machine = failingForced();

    await machine.advanceTo(T0 + DAY);

    expect(machine.calls.filter((call) => !call.forced).map((call) => call.at)).toEqual([5 * HOUR, 11 * HOUR, 17 * HOUR, 23 * HOUR]);
  });

  it('logs each failed attempt', async () => {
    const machine = failingForced();

    await machine.advanceTo(T0 + 12 * HOUR + 3 * MINUTE);

    expect(machine.failuresLogged()).toBe(3);
    expect(machine.calls.filter((call) => call.at >= FORCED_FROM)).toHaveLength(3);
  });

  it('waits for Retry-After when it asks for longer than the forced backoff', async () => {
    const machine = failingForced(() => {
      throw httpFailure(503, 10 * MINUTE);
    });

    await machine.advanceTo(T0 + 12 * HOUR + 10 * MINUTE - 1);
    expect(machine.calls.filter((call) => call.forced)).toHaveLength(1);
    await machine.advanceTo(T0 + 12 * HOUR + 10 * MINUTE);

    expect(machine.calls.filter((call) => call.forced).map((call) => call.at)).toEqual([12 * HOUR, 12 * HOUR + 10 * MINUTE]);
  });

  it('goes back to the daily regular schedule when a forced retry brings a 60-day license', async () => {
    let down = true;
    const machine = failingForced((input, now) => {
      if (down) throw httpFailure(503);
      return renew(input, now);
    });
    await machine.advanceTo(T0 + 12 * HOUR + MINUTE - 1);
    down = false;

    await machine.advanceTo(T0 + 12 * HOUR + MINUTE + DAY);

    expect(machine.calls.map((call) => call.at)).toEqual([
      5 * HOUR,
      11 * HOUR,
      12 * HOUR,
      12 * HOUR + MINUTE,
      12 * HOUR + MINUTE + DAY,
    ]);
  });
});

describe('a forced refresh answered with a license still inside 48 h (license expiring at 60 h, 6-hourly regular ticks)', () => {
  it('asks again an hour later, not at once', async () => {
    const machine = start({
      input: EXPIRING_AT_60_H,
      answer: noChangeBeforeThreshold((_input, now) => licenseAt(now, now + 40 * HOUR)),
    });

    await machine.advanceTo(T0 + 15 * HOUR);

    expect(machine.calls.filter((call) => call.forced).map((call) => call.at)).toEqual([12 * HOUR, 13 * HOUR, 14 * HOUR, 15 * HOUR]);
  });

  it('asks again an hour later when the server answers "no change" (204)', async () => {
    const machine = start({ input: EXPIRING_AT_60_H, answer: () => undefined });

    await machine.advanceTo(T0 + 14 * HOUR);

    expect(machine.calls).toEqual([
      { at: 5 * HOUR, forced: false },
      { at: 11 * HOUR, forced: false },
      { at: 12 * HOUR, forced: true },
      { at: 13 * HOUR, forced: true },
      { at: 14 * HOUR, forced: true },
    ]);
  });
});

describe('a license that never expires', () => {
  it('arms no forced refresh: only the regular ticks fetch', async () => {
    const machine = start({ answer: (_input, now) => licenseAt(now, undefined) });

    await machine.advanceTo(T0 + 3 * DAY);

    expect(machine.calls).toEqual([
      { at: 0, forced: false },
      { at: DAY, forced: false },
      { at: 2 * DAY, forced: false },
      { at: 3 * DAY, forced: false },
    ]);
  });
});
