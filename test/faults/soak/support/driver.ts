/**
 * Moves a soak run's simulated clock. Time moves from one due timer to the next; after each firing
 * the driver waits, in real time, until the agent is idle: no exchange in flight, no refresh in
 * progress, its license on disk. A request the front holds (a slow server) is answered after the
 * clock has moved on by its delay, timers firing meanwhile, as they would during a slow answer.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LicenseAgent } from '../../../../src/index.js';
import type { SteppingClock } from '../../../support/clocks.js';
import { nextTurn, realDelay, stepTo } from '../../../support/timers.js';
import type { Front } from './front.js';

/** `created`: start() is still reading the state dir. */
const BUSY_STATES = new Set(['created', 'firstLicense.fetching', 'refreshing', 'forcedRefresh']);
const SETTLE_TIMEOUT_MS = 10_000;
/** Timer firings one held request may pass over before it is answered. */
const MAX_FIRINGS_PER_MOVE = 5_000;
/** Event-loop turns to spin before sleeping: real I/O completes between turns. */
const SPIN_TURNS = 5_000;

export interface Driver {
  /** Waits until the agent is idle, serving held requests meanwhile. */
  settle(): Promise<void>;
  /** Moves the clock to `at`, firing each timer at its due instant and settling after each. */
  advanceTo(at: number): Promise<void>;
}

export function createDriver(clock: SteppingClock, front: Front, agent: LicenseAgent, stateDir: string): Driver {
  // A refresh holds the state dir's lock until its license is on disk, and the next one waits for
  // it (polling every 100 ms of real time): settling includes that write.
  const lockFile = path.join(stateDir, 'refresh.lock');

  /** Moves the clock to `at` while a request is held: timers fire, nothing waits for the agent. */
  async function passWhileHeld(at: number): Promise<void> {
    for (let firings = 0; firings < MAX_FIRINGS_PER_MOVE; firings++) {
      const dueAt = clock.nextDueAt();
      if (dueAt === undefined || dueAt > at) break;
      clock.set(Math.max(dueAt, clock.now()));
      for (let turn = 0; turn < 5; turn++) await nextTurn();
    }
    if (clock.now() < at) clock.set(at);
  }

  async function settle(): Promise<void> {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    for (let turn = 0; ; turn++) {
      const held = front.takeHeld();
      if (held) {
        await passWhileHeld(clock.now() + held.holdMs);
        held.release();
        turn = 0;
        continue;
      }
      const state = agent.status().state;
      if (turn >= 3 && front.inFlight === 0 && !BUSY_STATES.has(state) && !existsSync(lockFile)) return;
      if (performance.now() > deadline) throw new Error(`the agent is still busy (${state}) after ${SETTLE_TIMEOUT_MS} ms of real time`);
      if (turn < SPIN_TURNS) await nextTurn();
      else await realDelay(2);
    }
  }

  return { settle, advanceTo: (at) => stepTo(clock, at, settle) };
}
