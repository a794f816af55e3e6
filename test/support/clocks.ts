/**
 * The simulated clocks of the tests, and the instant they start at. Time is a dependency of the
 * agent (its `clock` option and the statechart's `now`), so a test moves time itself: days of
 * schedule run in milliseconds, and each timer fires at the instant it was due.
 */
import { SimulatedClock } from 'xstate';

/** The simulated start of the tests that share one (a fixed instant, so runs are reproducible). */
export const T0 = Date.UTC(2030, 0, 1);

/** What a stepping test needs from a simulated clock: time, timers, and stepping between them. */
export interface StepClock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number;
  clearTimeout(id: number): void;
  /** Moves time to `at`, firing every timer due by then. */
  set(at: number): void;
  nextDueAt(): number | undefined;
  pendingCount(): number;
}

/**
 * XState's `SimulatedClock`, plus the one thing stepping needs from it: when the next timer is due.
 * `increment(ms)` fires every due timer with `now()` already at the end of the jump, so a schedule
 * test that jumps a day would see a 1-hour timer fire "at" the end of the day; tests move from one
 * due timer to the next instead (`stepTo` in `timers.ts`), so each fires at its own instant.
 */
export class SteppingClock extends SimulatedClock implements StepClock {
  /** Pending timer id → the instant it is due (`Infinity` for a delay of `Infinity`). */
  readonly #dueAt = new Map<number, number>();

  constructor(startAt: number) {
    super();
    this.set(startAt);
  }

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = super.setTimeout((...args: unknown[]) => {
      this.#dueAt.delete(id);
      fn(...args);
    }, timeout);
    this.#dueAt.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.#dueAt.delete(id);
    super.clearTimeout(id);
  }

  /** The earliest instant a pending timer is due, or `undefined` when none ever will be. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const dueAt of this.#dueAt.values()) {
      if (Number.isFinite(dueAt) && (next === undefined || dueAt < next)) next = dueAt;
    }
    return next;
  }

  /** How many timers are armed, `Infinity` ones included. */
  pendingCount(): number {
    return this.#dueAt.size;
  }
}

/**
 * A simulated machine whose wall clock can move without its timers: suspended, or set by hand.
 * Node's timers run on a monotonic clock that stops while the machine sleeps, but `Date.now()` (the
 * wall clock the license expires by) keeps going: after a suspend, every pending timer fires late by
 * the length of the suspend. `suspend(ms)` reproduces exactly that: the wall clock jumps by `ms`,
 * nothing fires, and every pending timer is now due `ms` later on the wall clock than when it was
 * armed. `setReading(at)` sets the wall clock to any reading, backwards included.
 */
export class SuspendableClock implements StepClock {
  /** The timers' clock: it does not move during a suspend. */
  readonly #monotonic: SteppingClock;
  /** Wall time minus monotonic time: the time spent suspended, plus any setting by hand. */
  #wallAheadMs = 0;

  constructor(startAt: number) {
    this.#monotonic = new SteppingClock(startAt);
  }

  /** The wall clock. */
  now(): number {
    return this.#monotonic.now() + this.#wallAheadMs;
  }

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    return this.#monotonic.setTimeout(fn, timeout);
  }

  clearTimeout(id: number): void {
    this.#monotonic.clearTimeout(id);
  }

  /** Moves the wall clock to `at` with the machine awake: timers fire as their time comes. */
  set(at: number): void {
    this.#monotonic.set(at - this.#wallAheadMs);
  }

  /** The wall-clock instant at which the next pending timer will fire. */
  nextDueAt(): number | undefined {
    const due = this.#monotonic.nextDueAt();
    return due === undefined ? undefined : due + this.#wallAheadMs;
  }

  pendingCount(): number {
    return this.#monotonic.pendingCount();
  }

  /** The machine sleeps for `ms`: the wall clock jumps, no timer fires, every timer is now late. */
  suspend(ms: number): void {
    if (ms < 0) throw new Error('a suspend cannot last a negative time');
    this.#wallAheadMs += ms;
  }

  /** Sets the reading to `at`, backwards included, as an operator (or a bad NTP step) would; no timer fires. */
  setReading(at: number): void {
    this.#wallAheadMs += at - this.now();
  }
}

interface PendingTimer {
  readonly id: number;
  /** The wall-clock instant it fires at, shifted with every jump. */
  due: number;
  readonly fn: () => void;
}

/**
 * The model replay's clock: a wall clock (`now()`) and timers that run on a separate, monotonic
 * clock, as in a real process. `SimulatedClock.set()` fires every due timer at once; this clock
 * fires exactly one timer when asked, and `jump()` moves the wall clock alone, as a suspend or a
 * clock set by an operator does: pending timers keep the time they had left, so they fire late by
 * the jump. Fits the actor's `clock` option ({ setTimeout, clearTimeout }) and the machine's `now`.
 */
export class ModelClock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, PendingTimer>();

  constructor(now: number) {
    this.#now = now;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, timeout: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + timeout, fn });
    return id;
  }

  clearTimeout(id: number): void {
    this.#timers.delete(id);
  }

  /** The wall clock jumps by `ms` (negative: set back); pending timers stay pending for as long as they had left. */
  jump(ms: number): void {
    this.#now += ms;
    for (const timer of this.#timers.values()) timer.due += ms;
  }

  /** The pending timer that fires next: the earliest, then the first armed (never one armed for Infinity). */
  next(): { readonly due: number } | undefined {
    let first: PendingTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (Number.isFinite(timer.due) && (first === undefined || timer.due < first.due)) first = timer;
    }
    return first;
  }

  /** Moves the wall clock to the next timer's instant and fires that timer alone. */
  fireNext(): void {
    const timer = this.next() as PendingTimer | undefined;
    if (timer === undefined) throw new Error('no timer is pending');
    this.#timers.delete(timer.id);
    this.#now = Math.max(this.#now, timer.due);
    timer.fn();
  }
}
