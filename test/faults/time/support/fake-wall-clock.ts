/**
 * The production wall clock under Vitest's fake timers. Only `setTimeout`, `clearTimeout` and `Date`
 * are faked: the agent's `createWallClock()` (and its wake watchdog) run on them, while sockets,
 * `setImmediate`, `performance.now()` and `node:timers/promises` stay real, so real HTTP still flows
 * to the reference server. The harness's `waitFor` sleeps on the global `setTimeout`, which is fake
 * here: wait with {@link waitReal} instead.
 */
import { setTimeout as realSleep } from 'node:timers/promises';
import { vi } from 'vitest';
import { T0 } from '../../../support/clocks.js';

/** Fakes the wall clock at `at`: `Date.now()` reads it, timers fire only when the test advances it. */
export function fakeWallClock(at: number = T0): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: at });
}

/**
 * Polls `predicate` in real time (every 2 ms) until it is truthy; rejects after `timeoutMs` of real
 * time with `what` in the message.
 */
export async function waitReal<T>(predicate: () => T, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms (real time) waiting for ${what}`);
    await realSleep(2);
  }
}

/** Lets real I/O run for `ms` of real time: a request fired by mistake would reach the server. */
export function letRealTimePass(ms: number): Promise<void> {
  return realSleep(ms).then(() => undefined);
}
