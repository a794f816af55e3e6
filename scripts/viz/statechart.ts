/**
 * Reads a machine into a plain description for the diagram writers: its states (nested, with their
 * entry actions and invoked actors) and every transition it defines. The tree and the transitions
 * on events, timers and invoked actors come from `xstate/graph`'s `toDirectedGraph`; the eventless
 * (`always`) ones are read from each state node, since `toDirectedGraph` leaves them out.
 */
import type { AnyStateMachine, AnyTransitionDefinition } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** The state node's id: `licenseAgent.refresh.deciding`. */
  readonly id: string;
  readonly key: string;
  readonly kind: StateKind;
  /** The id of the initial child of a compound state. */
  readonly initial: string | undefined;
  readonly children: readonly ChartState[];
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  readonly invokes: readonly { readonly id: string; readonly src: string }[];
}

export type Trigger =
  | { readonly kind: 'event'; readonly event: string }
  | { readonly kind: 'after'; readonly delay: string }
  | { readonly kind: 'done' | 'error'; readonly actor: string }
  | { readonly kind: 'always'; readonly order: number; readonly of: number };

export interface ChartTransition {
  readonly source: string;
  readonly targets: readonly string[];
  readonly trigger: Trigger;
  /** `canRefresh`, `isValidity degraded`; `undefined` when unguarded. */
  readonly guard: string | undefined;
  readonly reenter: boolean;
  readonly actions: readonly string[];
}

export interface Statechart {
  readonly root: ChartState;
  readonly transitions: readonly ChartTransition[];
}

type Named = string | { type?: unknown; params?: unknown } | ((...args: never[]) => unknown);

/** `{ leaf: 'degraded' }` → `degraded`: the values, in order, as the config spells them. */
function paramsText(params: unknown): string {
  if (params === undefined || params === null) return '';
  if (typeof params === 'function') return ' (dynamic)';
  // Objects go to JSON.stringify: what String() gets here is a primitive, which TypeScript cannot narrow `unknown` to.
  /* eslint-disable @typescript-eslint/no-base-to-string */
  if (typeof params !== 'object') return ` ${String(params)}`;
  return ` ${Object.values(params as Record<string, unknown>).map((value) => (typeof value === 'object' ? JSON.stringify(value) : String(value))).join(', ')}`;
  /* eslint-enable @typescript-eslint/no-base-to-string */
}

/** The name of a guard or action as written in the config, with its params. */
export function nameOf(item: Named): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'function') {
    const type = (item as { type?: unknown }).type;
    return typeof type === 'string' ? type : item.name ? `inline ${item.name}` : 'inline';
  }
  return `${String(item.type)}${paramsText(item.params)}`;
}

function triggerOf(transition: AnyTransitionDefinition): Trigger {
  const delay = (transition as { delay?: unknown }).delay;
  // A delay is a number of milliseconds or the name of one in `setup({ delays })`.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  if (delay !== undefined) return { kind: 'after', delay: typeof delay === 'number' ? `${delay}ms` : String(delay) };
  // `any` in AnyTransitionDefinition; an event type is a string.
  const type = transition.eventType as string;
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor) return { kind: actor[1] as 'done' | 'error', actor: actor[2] as string };
  return { kind: 'event', event: type };
}

function describeTransition(transition: AnyTransitionDefinition, trigger: Trigger): ChartTransition {
  return {
    source: transition.source.id,
    targets: (transition.target ?? []).map((node) => node.id),
    trigger,
    guard: transition.guard === undefined ? undefined : nameOf(transition.guard),
    reenter: transition.reenter,
    actions: (transition.actions as readonly Named[]).map(nameOf),
  };
}

/**
 * The entry and exit actions the config names. XState adds a delayed `raise` on entry and a
 * `cancel` on exit for each `after` timer: those belong to the `after` transitions, not the state.
 */
function authoredActions(actions: readonly Named[]): string[] {
  return actions.filter((action) => !nameOf(action).startsWith('xstate.')).map(nameOf);
}

function describeState(node: DirectedGraphNode): ChartState {
  const stateNode = node.stateNode;
  const initial = stateNode.type === 'compound' ? stateNode.initial.target[0]?.id : undefined;
  return {
    id: stateNode.id,
    key: stateNode.key,
    kind: stateNode.type,
    initial,
    children: node.children.map(describeState),
    entry: authoredActions(stateNode.entry),
    exit: authoredActions(stateNode.exit),
    invokes: stateNode.invoke.map((invoke) => ({ id: invoke.id, src: typeof invoke.src === 'string' ? invoke.src : 'inline' })),
  };
}

function collectTransitions(node: DirectedGraphNode, into: ChartTransition[]): void {
  for (const edge of node.edges) {
    into.push(describeTransition(edge.transition, triggerOf(edge.transition)));
  }
  const always = (node.stateNode.always ?? []) as AnyTransitionDefinition[];
  always.forEach((transition, index) => {
    into.push(describeTransition(transition, { kind: 'always', order: index + 1, of: always.length }));
  });
  for (const child of node.children) collectTransitions(child, into);
}

/** The states and transitions of `machine`, in document order. */
export function readStatechart(machine: AnyStateMachine): Statechart {
  const graph = toDirectedGraph(machine);
  const transitions: ChartTransition[] = [];
  collectTransitions(graph, transitions);
  return { root: describeState(graph), transitions };
}

/** Every state of the chart, depth first, the root included. */
export function allStates(state: ChartState): ChartState[] {
  return [state, ...state.children.flatMap(allStates)];
}

/** How a transition reads on a diagram: `refresh.now [canRefresh]`, `after refreshInterval`, `always (2) [needsFirstLicense]`. */
export function transitionLabel(transition: ChartTransition): string {
  const { trigger } = transition;
  const parts: string[] = [];
  switch (trigger.kind) {
    case 'event':
      parts.push(trigger.event);
      break;
    case 'after':
      parts.push(`after ${trigger.delay}`);
      break;
    case 'done':
    case 'error':
      parts.push(`${trigger.actor} ${trigger.kind}`);
      break;
    case 'always':
      parts.push(trigger.of > 1 ? `always (${trigger.order})` : 'always');
      break;
  }
  if (transition.guard !== undefined) parts.push(`[${transition.guard}]`);
  else if (trigger.kind === 'always' && trigger.of > 1) parts.push('[else]');
  if (transition.reenter) parts.push('(re-enter)');
  return parts.join(' ');
}

/** What a state does on its own: `entry / logGrace`, `invoke fetchLicense (regularFetch)`. */
export function stateActivities(state: ChartState): string[] {
  return [
    ...state.entry.map((action) => `entry / ${action}`),
    ...state.invokes.map((invoke) => `invoke ${invoke.src} (${invoke.id})`),
    ...state.exit.map((action) => `exit / ${action}`),
  ];
}
