/**
 * Turns the statechart's snapshots into what the server and its tools see: the effective license
 * (through the view), the `softclient4es-license:refresh` and `:state` channel messages, and the
 * `stateChanged` event. Every snapshot is followed inside a guard: an observer that throws into
 * XState is rethrown as an uncaught error, which would take the host down.
 */
import type { Logger } from 'pino';
import type { AgentContext } from '../../machines/context.js';
import type { AgentActor } from './machine.js';
import { publishRefresh, publishState } from '../channels.js';
import { errorFields } from '../log.js';
import type { RefreshState } from './status.js';
import type { EffectiveLicenseView, Snapshot } from './effective-view.js';
import type { InternalErrors } from './internal-errors.js';

export function refreshStateOf(snapshot: Snapshot): RefreshState {
  return (snapshot.value as { refresh: RefreshState }).refresh;
}

export interface ObserverDeps {
  readonly view: EffectiveLicenseView;
  readonly log: Logger;
  readonly now: () => number;
  readonly errors: InternalErrors;
  readonly onStateChanged: (state: RefreshState, previous: RefreshState | null) => void;
}

function publishOutcome(context: AgentContext, tier: string): void {
  const outcome = context.lastOutcome;
  if (!outcome) return;
  publishRefresh(() => ({
    ok: outcome.ok,
    forced: outcome.forced,
    at: new Date(outcome.at).toISOString(),
    licenseId: context.license?.claims.sub ?? null,
    tier,
    error: outcome.ok ? null : errorFields(outcome.error),
  }));
}

/** Subscribes to `actor` (before it starts): each snapshot is followed, published and announced. */
export function observeActor(actor: AgentActor, deps: ObserverDeps): void {
  const { view, log, errors } = deps;
  // Clock readings, always within a date's range (unlike the times a token claims).
  const at = () => new Date(deps.now()).toISOString();
  let previousState: RefreshState | null = null;
  let previousValidity: string | null = null;
  let attempts = 0;
  actor.subscribe({
    next: (snapshot) => errors.guard('observer', () => {
      view.follow(snapshot);
      if (snapshot.context.attempts !== attempts) {
        attempts = snapshot.context.attempts;
        publishOutcome(snapshot.context, view.license.tier);
      }
      const validity = JSON.stringify((snapshot.value as { validity: unknown }).validity);
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
}
