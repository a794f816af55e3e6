/**
 * The machine config in the form Stately's editor imports (Code panel → Import, as the argument of
 * `createMachine(...)`): `id`, `type`, `initial`, `states`, `on`, `after`, `always`, `invoke` with
 * `onDone`/`onError`, `entry`, and guards, actions, actors and delays by name (with their params).
 *
 * It is the machine's own config (`machine.config`), without its functions (the `context` factory,
 * invoke `input`s), which are code, not structure. `machine.toJSON()` is not importable as it is: it
 * is the resolved node tree, with `always` left out, `initial` as `{ target: ['#…'] }`, and timers
 * and actor results filed under `on` as internal events (`xstate.after.refreshInterval.licenseAgent
 * .refresh.scheduled`, `xstate.done.actor.regularFetch`) that the editor would show as plain events.
 */
import type { AnyStateMachine } from 'xstate';

/**
 * Drops functions (and the `undefined` they leave) so that only the statechart's structure remains.
 * Params computed from the event (the fetched license, the failure) become the marker `(dynamic)`:
 * the editor shows that the guard or action takes them, and the diagram says the same.
 */
function withoutCode(key: string, value: unknown): unknown {
  if (typeof value !== 'function') return value;
  return key === 'params' ? '(dynamic)' : undefined;
}

/** The importable config of `machine` as JSON, two-space indented, ending with a newline. */
export function toStatelyJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(machine.config, withoutCode, 2)}\n`;
}
