/**
 * The wake watchdog (`startWakeWatchdog`): a heartbeat every minute that compares the wall clock
 * with what it should read, and reports a jump (a suspend, or the clock being set) beyond the
 * 30-second tolerance, so that the agent re-checks every timer against the wall clock.
 */
import { describe, expect, it } from 'vitest';
import { WAKE_CHECK_INTERVAL_MS, WAKE_TOLERANCE_MS, startWakeWatchdog } from '../../src/agent/wake-watchdog.js';
import { SteppingClock, SuspendableClock } from '../support/clocks.js';
import { MINUTE, SECOND, T0 } from './support/world.js';

function watch(clock: SteppingClock | SuspendableClock) {
  const jumps: number[] = [];
  const stop = startWakeWatchdog(clock, (driftMs) => jumps.push(driftMs));
  return { jumps, stop };
}

describe('the wake watchdog', () => {
  it('beats once a minute', () => {
    expect(WAKE_CHECK_INTERVAL_MS).toBe(MINUTE);
    const clock = new SteppingClock(T0);
    watch(clock);

    expect(clock.nextDueAt()).toBe(T0 + MINUTE);
  });

  it('reports nothing over an hour of punctual beats', () => {
    const clock = new SteppingClock(T0);
    const { jumps } = watch(clock);

    for (let beat = 1; beat <= 60; beat++) clock.set(T0 + beat * MINUTE);

    expect(jumps).toEqual([]);
  });

  it('calls onJump with the drift when the clock jumps 10 minutes between two beats', () => {
    const clock = new SteppingClock(T0);
    const { jumps } = watch(clock);
    clock.set(T0 + MINUTE);

    clock.set(T0 + 2 * MINUTE + 10 * MINUTE);

    expect(jumps).toEqual([10 * MINUTE]);
  });

  it('calls onJump with the drift when the beat fires 10 minutes late after a suspend', () => {
    const clock = new SuspendableClock(T0);
    const { jumps } = watch(clock);
    clock.suspend(10 * MINUTE);

    clock.set(clock.nextDueAt() as number);

    expect(jumps).toEqual([10 * MINUTE]);
  });

  it('reports a jump once, then beats normally again', () => {
    const clock = new SteppingClock(T0);
    const { jumps } = watch(clock);
    clock.set(T0 + 11 * MINUTE);

    for (let beat = 1; beat <= 10; beat++) clock.set(T0 + 11 * MINUTE + beat * MINUTE);

    expect(jumps).toEqual([10 * MINUTE]);
  });

  it('ignores a drift within the 30-second tolerance', () => {
    expect(WAKE_TOLERANCE_MS).toBe(30 * SECOND);
    const clock = new SteppingClock(T0);
    const { jumps } = watch(clock);

    clock.set(T0 + MINUTE + 30 * SECOND);

    expect(jumps).toEqual([]);
  });

  it('reports a drift just over the tolerance', () => {
    const clock = new SteppingClock(T0);
    const { jumps } = watch(clock);

    clock.set(T0 + MINUTE + 30 * SECOND + 1);

    expect(jumps).toEqual([30 * SECOND + 1]);
  });

  it('clears its timer when stopped: nothing is armed and a later jump is not reported', () => {
    const clock = new SteppingClock(T0);
    const { jumps, stop } = watch(clock);
    for (let beat = 1; beat <= 5; beat++) clock.set(T0 + beat * MINUTE);

    stop();
    clock.set(T0 + 5 * MINUTE + 60 * MINUTE);

    expect(clock.pendingCount()).toBe(0);
    expect(jumps).toEqual([]);
  });

  it('clears its timer when stopped right after starting', () => {
    const clock = new SteppingClock(T0);
    const { stop } = watch(clock);

    stop();

    expect(clock.pendingCount()).toBe(0);
  });
});
