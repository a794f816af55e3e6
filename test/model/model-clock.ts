/**
 * The replay's clock: a wall clock (`now()`) and timers that run on a separate, monotonic clock, as
 * in a real process. `SimulatedClock.set()` fires every due timer at once; this clock fires exactly
 * one timer when asked, and `jump()` moves the wall clock alone, as a suspend or a clock set by an
 * operator does: pending timers keep the time they had left, so they fire late by the jump.
 */
interface PendingTimer {
  readonly id: number;
  /** The wall-clock instant it fires at, shifted with every jump. */
  due: number;
  readonly fn: () => void;
}

/** Fits the actor's `clock` option ({ setTimeout, clearTimeout }) and the machine's `now`. */
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
