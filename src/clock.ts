/**
 * The wall clock the agent runs on in production. Two things set it apart from bare timers:
 * delays above Node's limit (2^31 − 1 ms, about 24.8 days) are chained rather than firing at once,
 * and timers are unref'd, so a background license refresh never holds a process open by itself.
 * An infinite delay means "never" and arms nothing.
 */
/** Time as the agent sees it: the wall clock in production, a simulated one in tests. */
export interface AgentClock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now (never for `Infinity`); returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer armed by {@link setTimeout}; a handle already fired or cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The longest delay Node's `setTimeout` honours. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

interface LongTimer {
  handle: NodeJS.Timeout | undefined;
}

/** The production {@link AgentClock}: `Date.now`, with long delays chained and every timer unref'd. */
export function createWallClock(): AgentClock {
  function arm(timer: LongTimer, callback: () => void, dueAt: number): void {
    const remaining = dueAt - Date.now();
    const step = Math.min(Math.max(remaining, 0), MAX_TIMER_DELAY_MS);
    timer.handle = setTimeout(() => {
      if (dueAt - Date.now() > 0 && remaining > MAX_TIMER_DELAY_MS) arm(timer, callback, dueAt);
      else callback();
    }, step);
    timer.handle.unref();
  }

  return {
    now: () => Date.now(),
    setTimeout(callback, delayMs) {
      const timer: LongTimer = { handle: undefined };
      if (Number.isFinite(delayMs)) arm(timer, callback, Date.now() + Math.max(0, delayMs));
      return timer;
    },
    clearTimeout(timer) {
      const handle = (timer as LongTimer | undefined)?.handle;
      if (handle !== undefined) clearTimeout(handle);
    },
  };
}
