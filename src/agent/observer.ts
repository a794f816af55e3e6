/**
 * Turns what the statechart does into what the server and its tools see: the effective license
 * (through the view), the `softclient4es-license:refresh` and `:state` channel messages, the
 * `stateChanged` event, and the last refresh outcome that `status()` reports. Outcomes come from the
 * machine's `refresh.completed` events; states from its snapshots. Every callback runs inside a
 * guard: an observer that throws into XState is rethrown as an uncaught error, which would take the
 * host down.
 */
import type { Logger } from 'pino';
import type { Subscription } from 'xstate';
import type { RefreshOutcome } from '../../machines/context.js';
import type { AgentActor } from './machine.js';
import { publishRefresh, publishState } from '../channels.js';
import { errorFields } from '../log.js';
import type { EffectiveLicenseView } from './effective-view.js';
import type { InternalErrors } from './internal-errors.js';
import { refreshStateOf, validityPathOf, type RefreshState, type Snapshot } from './snapshot.js';

export interface ObserverDeps {
  readonly view: EffectiveLicenseView;
  readonly log: Logger;
  readonly now: () => number;
  readonly errors: InternalErrors;
  readonly onStateChanged: (state: RefreshState, previous: RefreshState | null) => void;
}

/** Refresh attempts that ended since start, by outcome. */
export interface RefreshCounts {
  readonly success: number;
  readonly failure: number;
}

/** What the observer remembers for `status()` and `metrics()`. */
export interface ObservedRefreshes {
  /** The last refresh attempt's outcome, `undefined` before the first ends. */
  readonly last: RefreshOutcome | undefined;
  /** Counted from the `refresh.completed` events, so that a scrape never misses an attempt between two. */
  readonly counts: RefreshCounts;
}

function publishOutcome(outcome: RefreshOutcome, snapshot: Snapshot, tier: string): void {
  publishRefresh(() => ({
    ok: outcome.ok,
    forced: outcome.forced,
    at: new Date(outcome.at).toISOString(),
    licenseId: snapshot.context.license?.claims.sub ?? null,
    tier,
    error: outcome.ok ? null : errorFields(outcome.error),
  }));
}

/** Watches `actor` (before it starts): each snapshot is followed, published and announced. */
export function observeActor(actor: AgentActor, deps: ObserverDeps): ObservedRefreshes {
  const { view, log, errors } = deps;
  // Clock readings, always within a date's range (unlike the times a token claims).
  const at = () => new Date(deps.now()).toISOString();
  const observed: { last: RefreshOutcome | undefined; counts: { success: number; failure: number } } = {
    last: undefined,
    counts: { success: 0, failure: 0 },
  };
  // An outcome is emitted while its transition runs; it is published with the snapshot that
  // follows, once the view has the license (and the tier) the attempt left in force.
  let unpublished: RefreshOutcome | undefined;
  let previousState: RefreshState | null = null;
  let previousValidity: string | null = null;
  actor.on('refresh.completed', ({ outcome }) => {
    observed.last = outcome;
    observed.counts[outcome.ok ? 'success' : 'failure'] += 1;
    unpublished = outcome;
  });
  actor.subscribe({
    next: (snapshot) => errors.guard('observer', () => {
      view.follow(snapshot);
      if (unpublished) publishOutcome(unpublished, snapshot, view.license.tier);
      unpublished = undefined;
      const validity = validityPathOf(snapshot);
      if (validity !== previousValidity) {
        const from = previousValidity;
        previousValidity = validity;
        publishState(() => ({ region: 'validity', from, to: validity, at: at() }));
      }
      const state = refreshStateOf(snapshot);
      if (state === previousState) return;
      log.debug({ from: previousState, to: state }, `license agent ${state}`);
      const from = previousState;
      previousState = state;
      publishState(() => ({ region: 'refresh', from, to: state, at: at() }));
      deps.onStateChanged(state, from);
    }),
    // The statechart itself threw (a guard, an assignment): the actor is done, the license stays.
    error: (error) => errors.report(error, 'statechart'),
  });
  return observed;
}

/** Resolves with the outcome of the next refresh attempt to end, or `undefined` if the agent stops first. */
export function nextOutcome(actor: AgentActor): Promise<RefreshOutcome | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    let watch: Subscription | undefined;
    const settle = (outcome: RefreshOutcome | undefined) => {
      if (settled) return;
      settled = true;
      completed.unsubscribe();
      watch?.unsubscribe();
      resolve(outcome);
    };
    const completed = actor.on('refresh.completed', ({ outcome }) => settle(outcome));
    const ended = (snapshot: Snapshot) => snapshot.status !== 'active' || snapshot.matches({ refresh: 'stopped' });
    // A stopped actor completes the subscription at once, before `watch` is assigned.
    watch = actor.subscribe({
      next: (snapshot) => ended(snapshot) && settle(undefined),
      complete: () => settle(undefined),
      error: () => settle(undefined),
    });
    if (settled) watch.unsubscribe();
  });
}
