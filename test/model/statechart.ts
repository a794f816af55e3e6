/**
 * Reading the statechart's structure, shared by the model, the replay and the coverage report: how
 * transitions are named, which states a transition leaves and enters, the active leaves of a
 * snapshot, and an actor scope for running the machine's transition function outside an actor.
 */
import { createEmptyActor, type AnyActorScope, type AnyTransitionDefinition, type StateNode } from 'xstate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any machine's nodes: the helpers read only their structure
export type AnyStateNode = StateNode<any, any>;

/** `source --event[guard]--> target`: how a transition is named in coverage reports. */
export function transitionLabel(transition: AnyTransitionDefinition): string {
  const guard = transition.guard;
  const guardName =
    guard === undefined
      ? ''
      : `[${typeof guard === 'string' ? guard : typeof guard === 'function' ? 'inline' : `${guard.type}${guardParams(guard.params)}`}]`;
  const event = transition.eventType === '' ? 'always' : transition.eventType;
  const targets = transition.target?.map((node) => node.id).join(',') ?? '(none)';
  return `${transition.source.id} --${event}${guardName}--> ${targets}`;
}

function guardParams(params: unknown): string {
  return params === undefined || typeof params === 'function' ? '' : JSON.stringify(params);
}

/** The transitions a state node defines: on events, timers, done events and eventless ones. */
export function ownTransitions(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

/** `xstate.after.refreshInterval.licenseAgent.refresh.scheduled` → `refreshInterval`. */
export function delayOfTimerEvent(type: string): string | undefined {
  return /^xstate\.after\.([^.]+)\./.exec(type)?.[1];
}

/** The active atomic and final state nodes of a snapshot. */
export function activeLeaves(snapshot: { _nodes: readonly unknown[] }): AnyStateNode[] {
  return (snapshot._nodes as AnyStateNode[]).filter((node) => node.type === 'atomic' || node.type === 'final');
}

function isDescendant(node: AnyStateNode, ancestor: AnyStateNode): boolean {
  for (let parent = node.parent; parent !== undefined; parent = parent.parent) if (parent === ancestor) return true;
  return false;
}

/** The state a transition exits and re-enters below (SCXML's transition domain). */
function domainOf(transition: AnyTransitionDefinition): AnyStateNode {
  const source = transition.source as AnyStateNode;
  const targets = (transition.target ?? []) as AnyStateNode[];
  if (!transition.reenter && targets.every((target) => target === source || isDescendant(target, source))) return source;
  for (let node = source.parent; node !== undefined; node = node.parent) {
    if (node.type === 'compound' && targets.every((target) => isDescendant(target, node))) return node;
  }
  return source.machine.root as AnyStateNode;
}

/** The states a transition enters, outermost first: up from its domain to the target, then the initial states below. */
export function enteredBy(transition: AnyTransitionDefinition): AnyStateNode[] {
  if (transition.target === undefined) return [];
  const domain = domainOf(transition);
  const entered: AnyStateNode[] = [];
  for (const target of transition.target as AnyStateNode[]) {
    const path: AnyStateNode[] = [];
    for (let node: AnyStateNode | undefined = target; node !== undefined && node !== domain; node = node.parent) path.unshift(node);
    entered.push(...path);
    for (let node = target; node.type === 'compound'; ) {
      const initial = node.initial.target[0] as AnyStateNode | undefined;
      if (initial === undefined) break;
      entered.push(initial);
      node = initial;
    }
    if (target.type === 'parallel') throw new Error(`${target.id}: entering a parallel state is not modelled`);
  }
  return entered;
}

/** The state nodes a transition leaves or enters, with their ancestors (the root excepted). */
export function statesTouched(transition: AnyTransitionDefinition): string[] {
  const ids: string[] = [];
  for (const start of [transition.source, ...(transition.target ?? [])] as AnyStateNode[]) {
    for (let node: AnyStateNode | undefined = start; node?.parent !== undefined; node = node.parent) ids.push(node.id);
  }
  return ids;
}

/** `scheduled & valid.longTerm`: a snapshot's value, one region after the other. */
export function stateName(value: unknown): string {
  const name = (part: unknown): string =>
    typeof part === 'string'
      ? part
      : Object.entries(part as Record<string, unknown>)
          .map(([key, child]) => `${key}.${name(child)}`)
          .join(',');
  return Object.values(value as Record<string, unknown>).map(name).join(' & ');
}

/** What `getShortestPaths` would pass: an actor scope whose effects go nowhere. */
export function inertScope(): AnyActorScope {
  const empty = createEmptyActor();
  const nothing = () => {};
  return { self: empty, system: empty.system, id: '', sessionId: 'model', logger: nothing, defer: nothing, stopChild: nothing, emit: nothing, actionExecutor: nothing };
}
