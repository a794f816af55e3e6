/**
 * Moving simulated time the way a real process lives it: one due timer at a time, letting the work
 * each firing starts (promise actors, real HTTP to a reference server) run before the next.
 */
import { T0, type StepClock } from './clocks.js';

/** One turn of the event loop: microtasks and pending I/O callbacks run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A few turns of the event loop: enough for an in-memory fetch actor to settle and its transitions to run. */
export async function settleTurns(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await nextTurn();
}

/** A real-time sleep, for sockets to make progress while simulated time stands still. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Moves `clock` to `at` one due timer at a time, each fired at its own instant, and `settle()`s
 * before the first and after each firing. More than `maxFirings` firings in one move means the
 * schedule is looping: the move throws.
 */
export async function stepTo(clock: StepClock, at: number, settle: () => Promise<void>, maxFirings = 5_000): Promise<void> {
  await settle();
  for (let firings = 0; ; firings++) {
    const dueAt = clock.nextDueAt();
    if (dueAt === undefined || dueAt > at) break;
    if (firings >= maxFirings) {
      throw new Error(`over ${maxFirings} timers fired before T0 + ${at - T0} ms: the schedule loops at T0 + ${dueAt - T0} ms`);
    }
    clock.set(Math.max(dueAt, clock.now()));
    await settle();
  }
  if (clock.now() < at) clock.set(at);
  await settle();
}
