/**
 * What a machine's config refers to by name: the delays of its `after` transitions, its guards,
 * actions and invoked actors. XState checks none of these when the machine is created: a delay
 * that `setup()` does not define type-checks and fires at once, a missing guard throws only when
 * its transition is tried.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface NamedImplementations {
  readonly delays: ReadonlySet<string>;
  readonly guards: ReadonlySet<string>;
  readonly actions: ReadonlySet<string>;
  readonly actors: ReadonlySet<string>;
}

type Named = unknown;

/** The name a guard, action or actor is referred to by; `undefined` for inline code and XState's own actions. */
function nameOf(item: Named): string | undefined {
  if (typeof item === 'string') return item;
  const type = (item as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || type.startsWith('xstate.')) return undefined;
  // An inline function has no name to look up; a built-in action creator carries its own `type`.
  return typeof item === 'function' ? undefined : type;
}

function statesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(statesOf)];
}

/** Every name the config of `machine` uses, by kind. */
export function namedImplementations(machine: AnyStateMachine): NamedImplementations {
  const delays = new Set<string>();
  const guards = new Set<string>();
  const actions = new Set<string>();
  const actors = new Set<string>();
  const addName = (into: Set<string>, item: Named) => {
    const name = nameOf(item);
    if (name !== undefined) into.add(name);
  };
  for (const node of statesOf(machine.root)) {
    const transitions: AnyTransitionDefinition[] = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const transition of transitions) {
      if (transition.guard !== undefined) addName(guards, transition.guard);
      transition.actions.forEach((action) => addName(actions, action));
    }
    for (const timer of node.after) {
      if (typeof timer.delay === 'string') delays.add(timer.delay);
    }
    [...node.entry, ...node.exit].forEach((action) => addName(actions, action));
    for (const invoke of node.invoke) addName(actors, invoke.src);
  }
  return { delays, guards, actions, actors };
}

/** The names used by `machine` that its `setup()` does not provide, by kind. */
export function missingImplementations(machine: AnyStateMachine): Record<keyof NamedImplementations, string[]> {
  const used = namedImplementations(machine);
  const provided = machine.implementations as unknown as Record<keyof NamedImplementations, Record<string, unknown>>;
  const missing = (kind: keyof NamedImplementations) => [...used[kind]].filter((name) => !(name in provided[kind])).sort();
  return { delays: missing('delays'), guards: missing('guards'), actions: missing('actions'), actors: missing('actors') };
}
