/**
 * A simulated machine that can be suspended. Node's timers run on a monotonic clock that stops
 * while the machine sleeps, but `Date.now()` (the wall clock the license expires by) keeps going:
 * after a suspend, every pending timer fires late by the length of the suspend. `suspend(ms)`
 * reproduces exactly that: the wall clock jumps by `ms`, nothing fires, and every pending timer is
 * now due `ms` later on the wall clock than when it was armed.
 */
import { SteppingClock, type StepClock } from './stepping-clock.js';

export class SuspendableClock implements StepClock {
  /** The timers' clock: it does not move during a suspend. */
  readonly #monotonic: SteppingClock;
  /** Wall time minus monotonic time: the total time spent suspended. */
  #suspendedMs = 0;

  constructor(startAt: number) {
    this.#monotonic = new SteppingClock(startAt);
  }

  /** The wall clock. */
  now(): number {
    return this.#monotonic.now() + this.#suspendedMs;
  }

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    return this.#monotonic.setTimeout(fn, timeout);
  }

  clearTimeout(id: number): void {
    this.#monotonic.clearTimeout(id);
  }

  /** Moves the wall clock to `at` with the machine awake: timers fire as their time comes. */
  set(at: number): void {
    this.#monotonic.set(at - this.#suspendedMs);
  }

  /** The wall-clock instant at which the next pending timer will fire. */
  nextDueAt(): number | undefined {
    const due = this.#monotonic.nextDueAt();
    return due === undefined ? undefined : due + this.#suspendedMs;
  }

  pendingCount(): number {
    return this.#monotonic.pendingCount();
  }

  /** The machine sleeps for `ms`: the wall clock jumps, no timer fires, every timer is now late. */
  suspend(ms: number): void {
    if (ms < 0) throw new Error('a suspend cannot last a negative time');
    this.#suspendedMs += ms;
  }
}
