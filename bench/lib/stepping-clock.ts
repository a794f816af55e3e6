/**
 * The schedule tests' simulated clock, plus what a long simulated run needs: moving to an instant
 * one due timer at a time, so that each timer fires at its own instant.
 */
import { SteppingClock as ScheduleClock } from '../../test/support/clocks.js';

export class SteppingClock extends ScheduleClock {
  /** Moves to `at` one due timer at a time, awaiting `settle` after each firing. */
  async stepTo(at: number, settle: () => Promise<void>, maxFirings = 10_000): Promise<number> {
    let firings = 0;
    for (;;) {
      const dueAt = this.nextDueAt();
      if (dueAt === undefined || dueAt > at) break;
      if (++firings > maxFirings) throw new Error(`over ${maxFirings} timers fired on the way to ${new Date(at).toISOString()}: a loop`);
      this.set(Math.max(dueAt, this.now()));
      await settle();
    }
    if (this.now() < at) this.set(at);
    await settle();
    return firings;
  }
}
