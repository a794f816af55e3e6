/**
 * Notices when the wall clock jumps: the process was suspended (a laptop lid, a paused VM, a
 * frozen container) or the system clock was set. Node's timers run on a monotonic clock that stops
 * during a suspend, so a timer armed for "expiry" would fire late by the length of the suspend and
 * leave a wrong tier in place meanwhile. A cheap heartbeat compares the wall clock with what it
 * should read, and reports a jump so that every timer is re-checked against the wall clock.
 */
import type { AgentClock } from '../clock.js';

export const WAKE_CHECK_INTERVAL_MS = 60_000;
/** Drift below this is scheduling noise, not a suspend. */
export const WAKE_TOLERANCE_MS = 30_000;

/** Starts the heartbeat; returns the function that stops it. */
export function startWakeWatchdog(clock: AgentClock, onJump: (driftMs: number) => void): () => void {
  let expected = clock.now() + WAKE_CHECK_INTERVAL_MS;
  let handle: unknown;
  const beat = () => {
    const now = clock.now();
    const drift = now - expected;
    expected = now + WAKE_CHECK_INTERVAL_MS;
    handle = clock.setTimeout(beat, WAKE_CHECK_INTERVAL_MS);
    if (Math.abs(drift) > WAKE_TOLERANCE_MS) onJump(drift);
  };
  handle = clock.setTimeout(beat, WAKE_CHECK_INTERVAL_MS);
  return () => clock.clearTimeout(handle);
}
