/**
 * XState's `SimulatedClock`, plus the one thing these tests need from it: when the next timer is
 * due. `increment(ms)` fires every due timer with `now()` already at the end of the jump, so a
 * schedule test that jumps a day would see a 1-hour timer fire "at" the end of the day; tests move
 * from one due timer to the next instead, so each fires at its own instant.
 */
import { SimulatedClock } from 'xstate';

export class SteppingClock extends SimulatedClock {
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

/** What the schedule world needs from a simulated clock: time, timers, and stepping between them. */
export interface StepClock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number;
  clearTimeout(id: number): void;
  /** Moves time to `at`, firing every timer due by then. */
  set(at: number): void;
  nextDueAt(): number | undefined;
  pendingCount(): number;
}
