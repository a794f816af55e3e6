/**
 * The refresh region as a graph: `getShortestPaths` from `xstate/graph` over the real machine, with
 * an explicit event list (user events, the `xstate.after.*` timers, the fetch actors' done and error
 * events with payloads), and the catalogue of every transition the machine defines.
 *
 * Time in the model is simulated like the replay's: it stands still except on a timer event, which
 * moves it to the instant that timer fires. Only the timer that fires first is offered, and never
 * one armed for Infinity, so every generated path is one the running agent can take.
 */
import { createEmptyActor, type ActorLogic, type AnyTransitionDefinition, type EventObject, type MachineSnapshot, type StateNode } from 'xstate';
import { getShortestPaths, getStateNodes, type StatePath } from 'xstate/graph';
import {
  createLicenseAgentMachine,
  forcedRefreshAt,
  hasRefreshPath,
  type AgentContext,
  type AgentInput,
  type LicenseAgentMachine,
} from '../../machines/license-agent.machine.js';
import { FETCH_ERRORS, FETCH_OUTPUTS, T0, type Scenario } from './scenarios.js';

/** A snapshot of the machine, with the context typed. */
export type AgentSnapshot = MachineSnapshot<AgentContext, any, any, any, any, any, any, any>;
/** Any event the model sends: user events, timer events, invoke done/error events with payloads. */
export type ModelEvent = EventObject & { readonly output?: unknown; readonly error?: unknown };
export type ModelPath = StatePath<AgentSnapshot, ModelEvent>;

type AnyStateNode = StateNode<any, any>;

/** `source --event[guard]--> target`: how a transition is named in coverage reports. */
export function transitionLabel(transition: AnyTransitionDefinition): string {
  const guard = transition.guard;
  const guardName =
    guard === undefined ? '' : `[${typeof guard === 'string' ? guard : typeof guard === 'function' ? 'inline' : guard.type}]`;
  const event = transition.eventType === '' ? 'always' : transition.eventType;
  const targets = transition.target?.map((node) => node.id).join(',') ?? '(none)';
  return `${transition.source.id} --${event}${guardName}--> ${targets}`;
}

function ownTransitions(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

/** Every state node of the machine below the root, and every transition they define. */
export function catalogue(machine: LicenseAgentMachine): { states: string[]; transitions: string[] } {
  const nodes = getStateNodes(machine.root) as AnyStateNode[];
  const transitions = [machine.root, ...nodes].flatMap(ownTransitions).map(transitionLabel);
  return { states: nodes.map((node) => node.id), transitions: [...new Set(transitions)] };
}

/** The state nodes a transition leaves or enters, with their ancestors (the root excepted). */
export function statesTouched(transition: AnyTransitionDefinition): string[] {
  const ids: string[] = [];
  for (const start of [transition.source, ...(transition.target ?? [])]) {
    for (let node: AnyStateNode | undefined = start; node?.parent !== undefined; node = node.parent) ids.push(node.id);
  }
  return ids;
}

export interface RefreshModel {
  readonly scenario: Scenario;
  readonly paths: readonly ModelPath[];
  /** The simulated instant at which a snapshot of the model was reached. */
  timeOf(snapshot: AgentSnapshot): number;
  /** The transitions taken (in order) by the step that produced a snapshot. */
  takenBy(snapshot: AgentSnapshot): readonly AnyTransitionDefinition[];
  /** How a path is described in test names and reports. */
  describe(path: ModelPath): string;
}

/** `xstate.after.refreshInterval.licenseAgent.refresh.scheduled` → `refreshInterval`. */
export function delayOfTimerEvent(type: string): string | undefined {
  return /^xstate\.after\.([^.]+)\./.exec(type)?.[1];
}

/**
 * How long the timer of `timerEventType` waits when armed now, by the machine's own delay
 * implementation (read with the machine's time source). Throws for a delay the machine lacks.
 */
export function timerDelay(machine: LicenseAgentMachine, timerEventType: string, context: AgentContext): number {
  const name = delayOfTimerEvent(timerEventType);
  const implementation = name === undefined ? undefined : (machine.implementations.delays as Record<string, unknown>)[name];
  if (typeof implementation !== 'function') throw new Error(`${timerEventType}: the machine has no delay named ${name}`);
  return (implementation as (args: { context: AgentContext }) => number)({ context });
}

/** What `getShortestPaths` would pass: an actor scope whose effects go nowhere. */
function inertScope() {
  const empty = createEmptyActor();
  const nothing = () => {};
  return { self: empty, system: empty.system, id: '', sessionId: 'model', logger: nothing, defer: nothing, stopChild: nothing, emit: nothing, actionExecutor: nothing };
}

function activeLeaves(snapshot: AgentSnapshot): AnyStateNode[] {
  return (snapshot._nodes as AnyStateNode[]).filter((node) => node.type === 'atomic' || node.type === 'final');
}

/** The model's events, made once so that each has a stable identity and a readable label. */
interface ModelEvents {
  readonly user: readonly ModelEvent[];
  ofActor(id: string): readonly ModelEvent[];
  timer(type: string): ModelEvent;
  label(event: ModelEvent): string;
}

function createModelEvents(): ModelEvents {
  const labels = new WeakMap<ModelEvent, string>();
  const named = (event: ModelEvent, label: string): ModelEvent => (labels.set(event, label), event);
  const memo = <T>(make: (key: string) => T) => {
    const made = new Map<string, T>();
    return (key: string): T => made.get(key) ?? made.set(key, make(key)).get(key)!;
  };
  return {
    user: [named({ type: 'refresh.now' }, 'refresh.now'), named({ type: 'agent.stop' }, 'agent.stop')],
    ofActor: memo((id) => [
      ...FETCH_OUTPUTS.map(({ label, output }) => named({ type: `xstate.done.actor.${id}`, output }, `${id} returns ${label}`)),
      ...FETCH_ERRORS.map(({ label, error }) => named({ type: `xstate.error.actor.${id}`, error }, `${id} fails ${label}`)),
    ]),
    timer: memo((type) => named({ type }, `after ${delayOfTimerEvent(type)}`)),
    label: (event) => labels.get(event) ?? event.type,
  };
}

/** How long a timer armed in `snapshot` waits, read with the model's clock at that snapshot. */
type DelayIn = (snapshot: AgentSnapshot, timerEventType: string) => number;

/** When each model snapshot was reached, and by which transitions. */
interface Timeline {
  timeOf(snapshot: AgentSnapshot): number;
  takenBy(snapshot: AgentSnapshot): readonly AnyTransitionDefinition[];
}

/** An actor scope that reports the transitions each microstep takes into `taken`. */
function recordingScope<S>(scope: S, taken: AnyTransitionDefinition[]): S {
  const base = scope as { system: object };
  const system = Object.assign(Object.create(base.system) as object, {
    _sendInspectionEvent: (event: { type: string; _transitions?: AnyTransitionDefinition[] }) => {
      if (event.type === '@xstate.microstep') taken.push(...(event._transitions ?? []));
    },
  });
  return { ...base, system } as S;
}

/**
 * The real machine's transition function on simulated time: a timer event moves the clock to the
 * instant that timer fires; any other event happens at the time of the snapshot it is sent to.
 */
function createTimedLogic(): {
  logic: ActorLogic<AgentSnapshot, ModelEvent, AgentInput>;
  timeline: Timeline;
  delayIn: DelayIn;
} {
  let now = T0;
  const machine = createLicenseAgentMachine({ now: () => now, random: () => 0 });
  const times = new WeakMap<AgentSnapshot, number>();
  const taken = new WeakMap<AgentSnapshot, readonly AnyTransitionDefinition[]>();
  const timeline: Timeline = { timeOf: (snapshot) => times.get(snapshot) ?? T0, takenBy: (snapshot) => taken.get(snapshot) ?? [] };
  const delayIn = (snapshot: AgentSnapshot, timerEventType: string) => {
    now = timeline.timeOf(snapshot);
    return timerDelay(machine, timerEventType, snapshot.context);
  };
  const step = (at: number, run: (scope: never) => AgentSnapshot, scope: unknown): AgentSnapshot | undefined => {
    const transitions: AnyTransitionDefinition[] = [];
    now = at;
    const next = run(recordingScope(scope, transitions) as never);
    if (transitions.length === 0) return undefined;
    times.set(next, at);
    taken.set(next, transitions);
    return next;
  };
  const logic: ActorLogic<AgentSnapshot, ModelEvent, AgentInput> = {
    config: machine.config,
    // Entering `idle` always takes an eventless transition, so the first step records transitions.
    getInitialSnapshot: (scope, input) => step(T0, (recording) => machine.getInitialSnapshot(recording, input) as AgentSnapshot, scope)!,
    transition: (snapshot, event, scope) => {
      const from = timeline.timeOf(snapshot);
      const at = delayOfTimerEvent(event.type) === undefined ? from : from + delayIn(snapshot, event.type);
      // An ignored event changes nothing: answer the same snapshot, so it is not a new vertex.
      return step(at, (recording) => machine.transition(snapshot as never, event as never, recording) as AgentSnapshot, scope) ?? snapshot;
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
  return { logic, timeline, delayIn };
}

/** The timer of `node` that fires first (both are armed on entry; the first exits and cancels the other). */
function firstTimer(node: AnyStateNode, snapshot: AgentSnapshot, delayIn: DelayIn): string | undefined {
  let first: { type: string; delay: number } | undefined;
  for (const { eventType } of node.after) {
    const delay = delayIn(snapshot, eventType);
    if (Number.isFinite(delay) && (first === undefined || delay < first.delay)) first = { type: eventType, delay };
  }
  return first?.type;
}

/** The events the running agent could see next in this snapshot. */
function eventsIn(snapshot: AgentSnapshot, events: ModelEvents, delayIn: DelayIn): ModelEvent[] {
  if (snapshot.status !== 'active') return [];
  const next = [...events.user];
  for (const node of activeLeaves(snapshot)) {
    for (const invoke of node.invoke) next.push(...events.ofActor(invoke.id));
    const timer = firstTimer(node, snapshot, delayIn);
    if (timer !== undefined) next.push(events.timer(timer));
  }
  return next;
}

/**
 * A vertex is the state, what its guards and timers would decide, and the transitions that led to
 * it: keying on the incoming transitions gives every transition reached a shortest path of its own.
 */
function vertexKey(snapshot: AgentSnapshot, timeline: Timeline, delayIn: DelayIn): string {
  const context = snapshot.context;
  const at = timeline.timeOf(snapshot);
  return JSON.stringify({
    status: snapshot.status,
    value: snapshot.value,
    refreshPath: hasRefreshPath(context),
    awaitingFirstLicense: context.awaitingFirstLicense,
    forcedDue: at >= forcedRefreshAt(context),
    firstTimers: activeLeaves(snapshot).map((node) => firstTimer(node, snapshot, delayIn)),
    via: timeline.takenBy(snapshot).map(transitionLabel),
  });
}

/** `scheduled`, or `scheduled & valid` once the machine has more than one region. */
function stateName(snapshot: AgentSnapshot): string {
  const value = snapshot.value as Record<string, unknown>;
  return Object.values(value).map((region) => (typeof region === 'string' ? region : JSON.stringify(region))).join(' & ');
}

/** Builds the graph of one scenario and its shortest paths. */
export function buildRefreshModel(scenario: Scenario): RefreshModel {
  const { logic, timeline, delayIn } = createTimedLogic();
  const events = createModelEvents();
  const key = (snapshot: AgentSnapshot) => vertexKey(snapshot, timeline, delayIn);
  const scope = inertScope();
  const initial = logic.getInitialSnapshot(scope as never, scenario.input);
  const representatives = getShortestPaths(logic, {
    fromState: initial,
    events: (snapshot) => eventsIn(snapshot, events, delayIn),
    serializeState: key,
    serializeEvent: events.label,
    limit: 10_000,
  });
  // A path's steps hold one representative snapshot per vertex, not the snapshots its own events
  // lead to: run the events again so that each step has the exact context the agent will have.
  const paths = representatives.map((path): ModelPath => {
    let state = initial;
    const steps = path.steps.map((step, index) => {
      if (index > 0) state = logic.transition(state, step.event, scope as never);
      if (key(state) !== key(step.state)) throw new Error(`the model is too coarse: ${key(state)} is not ${key(step.state)}`);
      return { state, event: step.event };
    });
    return { ...path, state, steps };
  });

  return {
    scenario,
    paths,
    ...timeline,
    describe: (path) =>
      path.steps.map((step, index) => `${index === 0 ? '' : `-(${events.label(step.event)})-> `}${stateName(step.state)}`).join(' '),
  };
}
