/**
 * The license agent as a graph: `getShortestPaths` from `xstate/graph` over the real machine, both
 * regions (`refresh` and `validity`), with an explicit event list (user events, clock jumps, the
 * `xstate.after.*` timers, the fetch actors' done and error events with payloads), and the catalogue
 * of every transition the machine defines.
 *
 * In a scenario that started on a license file, the file may change at any moment: `license.replaced`
 * with one of the licenses an operator could put there (each issued at the instant it is offered,
 * like a fetch's answer).
 *
 * Time in the model is simulated like the replay's: the wall clock stands still except when a timer
 * fires (it moves to that timer's instant) or jumps (`clock.wake`). The model keeps the timers each
 * step arms and cancels, read from the machine's own actions, so a timer fires at the instant it
 * was armed for, even when a later step changed the context it was computed from. Only the timer
 * that fires first is offered (the earliest; on a tie, the first armed), never one armed for
 * Infinity, and nothing else while a timer is due: every generated path is one the agent can take.
 */
import type { ActorLogic, AnyTransitionDefinition, EventObject, MachineSnapshot } from 'xstate';
import { getShortestPaths, getStateNodes, type StatePath } from 'xstate/graph';
import { licenseAgentMachine, forcedRefreshAt, hasRefreshPath, type AgentContext, type AgentInput, type LicenseAgentMachine } from '../../machines/license-agent.machine.js';
import { expiresAtOf } from '../../machines/refresh-policy.js';
import { validityLeafAt } from '../../machines/validity.js';
import { T0 } from '../support/clocks.js';
import { CLOCK_JUMPS, DAY, FETCH_ERRORS, FETCH_OUTPUTS, REPLACEMENTS, type Scenario } from './scenarios.js';
import { activeLeaves, ownTransitions, delayOfTimerEvent, inertScope, stateName, transitionLabel, type AnyStateNode } from './statechart.js';

/** A snapshot of the machine, with the context typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the model reads only the context; the value and children are walked generically
export type AgentSnapshot = MachineSnapshot<AgentContext, any, any, any, any, any, any, any>;
/** Any event the model sends: user events, clock jumps, timer events, invoke done/error events with payloads. */
export type ModelEvent = EventObject & {
  readonly output?: unknown;
  readonly error?: unknown;
  readonly jumpMs?: number;
  /** The license a `license.replaced` carries. */
  readonly license?: unknown;
};
export type ModelPath = StatePath<AgentSnapshot, ModelEvent>;

/** A timer the machine armed: its event, the wall-clock instant it fires at, and the order it was armed in. */
export interface ArmedTimer {
  readonly type: string;
  readonly due: number;
  readonly armed: number;
}

export interface AgentModel {
  readonly scenario: Scenario;
  readonly paths: readonly ModelPath[];
  /** The simulated wall-clock instant at which a snapshot of the model was reached. */
  timeOf(snapshot: AgentSnapshot): number;
  /** The timers pending in a snapshot, in the order they fire. */
  timersOf(snapshot: AgentSnapshot): readonly ArmedTimer[];
  /** The transitions taken (in order) by the step that produced a snapshot. */
  takenBy(snapshot: AgentSnapshot): readonly AnyTransitionDefinition[];
  /** How a path is described in test names and reports. */
  describe(path: ModelPath): string;
}

/** Every state node of the machine below the root, and every transition they define. */
export function catalogue(machine: LicenseAgentMachine): { states: string[]; transitions: string[] } {
  const nodes = getStateNodes(machine.root) as AnyStateNode[];
  const transitions = [machine.root, ...nodes].flatMap(ownTransitions).map(transitionLabel);
  return { states: nodes.map((node) => node.id), transitions: [...new Set(transitions)] };
}

/** The model's events, made once so that each has a stable identity and a readable label. */
interface ModelEvents {
  readonly user: readonly ModelEvent[];
  readonly jumps: readonly ModelEvent[];
  /** The done and error events of the invoked actor `id`; a license fetched at `now` is issued at `now`. */
  ofActor(id: string, now: number): readonly ModelEvent[];
  /** The `license.replaced` events a changed license file may send at `now`. */
  replacements(now: number): readonly ModelEvent[];
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
  const ofActorAt = memo((key) => {
    const [id = '', at = ''] = key.split('@');
    const now = Number(at);
    return [
      ...FETCH_OUTPUTS.map(({ label, answerAt }) => named({ type: `xstate.done.actor.${id}`, output: answerAt(now) }, `${id} returns ${label}`)),
      ...FETCH_ERRORS.map(({ label, error }) => named({ type: `xstate.error.actor.${id}`, error }, `${id} fails ${label}`)),
    ];
  });
  const replacementsAt = memo((at) =>
    REPLACEMENTS.map(({ label, licenseAt }) => named({ type: 'license.replaced', license: licenseAt(Number(at)) }, `license.replaced by ${label}`)),
  );
  return {
    user: [named({ type: 'refresh.now' }, 'refresh.now'), named({ type: 'agent.stop' }, 'agent.stop')],
    jumps: CLOCK_JUMPS.map(({ label, ms }) => named({ type: 'clock.wake', jumpMs: ms }, `clock.wake after ${label}`)),
    ofActor: (id, now) => ofActorAt(`${id}@${now}`),
    replacements: (now) => replacementsAt(String(now)),
    timer: memo((type) => named({ type }, `after ${delayOfTimerEvent(type)}`)),
    label: (event) => labels.get(event) ?? event.type,
  };
}

/** What the model knows about a snapshot beyond the machine: when, which timers, and how it got there. */
interface Timing {
  readonly now: number;
  readonly timers: readonly ArmedTimer[];
  readonly taken: readonly AnyTransitionDefinition[];
}

/** Pending timers in firing order: the earliest first, then the first armed. */
function inFiringOrder(timers: ArmedTimer[]): ArmedTimer[] {
  return timers.sort((a, b) => a.due - b.due || a.armed - b.armed);
}

interface ExecutedAction {
  readonly type: string;
  readonly params?: { readonly event?: EventObject; readonly id?: string; readonly delay?: unknown; readonly sendId?: string };
}

/** An actor scope that reports each microstep's transitions and every action the machine executes. */
function recordingScope<S>(scope: S, taken: AnyTransitionDefinition[], actions: ExecutedAction[]): S {
  const base = scope as { system: object };
  const system = Object.assign(Object.create(base.system) as object, {
    _sendInspectionEvent: (event: { type: string; _transitions?: AnyTransitionDefinition[] }) => {
      if (event.type === '@xstate.microstep') taken.push(...(event._transitions ?? []));
    },
  });
  return { ...base, system, actionExecutor: (action: ExecutedAction) => void actions.push(action) } as S;
}

/** The timers after a step's actions: `cancel` removes one, a delayed `raise` arms one. */
function applyTimerActions(timers: readonly ArmedTimer[], actions: readonly ExecutedAction[], now: number, nextArmed: () => number): ArmedTimer[] {
  const pending = new Map(timers.map((timer) => [timer.type, timer]));
  for (const { type, params } of actions) {
    if (type === 'xstate.cancel' && params?.sendId !== undefined) pending.delete(params.sendId);
    if (type === 'xstate.raise' && typeof params?.delay === 'number' && params.event !== undefined) {
      if (params.id !== params.event.type) throw new Error(`timer ${params.id} raises ${params.event.type}: the model keys timers by event`);
      pending.set(params.event.type, { type: params.event.type, due: now + params.delay, armed: nextArmed() });
    }
  }
  return inFiringOrder([...pending.values()]);
}

/**
 * The real machine's transition function on simulated time: a timer event moves the clock to the
 * instant that timer fires, a clock jump moves it (and the pending timers) by the jump, and any
 * other event happens at the time of the snapshot it is sent to.
 */
function createTimedLogic(): { logic: ActorLogic<AgentSnapshot, ModelEvent, AgentInput>; timingOf(snapshot: AgentSnapshot): Timing } {
  let now = T0;
  let armed = 0;
  const nextArmed = () => armed++;
  const machine = licenseAgentMachine;
  const time = { now: () => now, random: () => 0 };
  const timings = new WeakMap<AgentSnapshot, Timing>();
  const timingOf = (snapshot: AgentSnapshot): Timing => {
    const timing = timings.get(snapshot);
    if (timing === undefined) throw new Error('a snapshot the model did not make');
    return timing;
  };
  const step = (at: number, timers: readonly ArmedTimer[], run: (scope: never) => AgentSnapshot, scope: unknown) => {
    const taken: AnyTransitionDefinition[] = [];
    const actions: ExecutedAction[] = [];
    now = at;
    const next = run(recordingScope(scope, taken, actions) as never);
    return { next, timing: { now: at, timers: applyTimerActions(timers, actions, at, nextArmed), taken } };
  };
  const logic: ActorLogic<AgentSnapshot, ModelEvent, AgentInput> = {
    config: machine.config,
    getInitialSnapshot: (scope, input) => {
      const { next, timing } = step(T0, [], (recording) => machine.getInitialSnapshot(recording, { ...input, time }) as AgentSnapshot, scope);
      timings.set(next, timing);
      return next;
    },
    transition: (snapshot, event, scope) => {
      const before = timingOf(snapshot);
      let at = before.now;
      let timers = before.timers;
      if (delayOfTimerEvent(event.type) !== undefined) {
        const [first, ...rest] = timers;
        if (first?.type !== event.type) throw new Error(`${event.type} is not the next timer to fire`);
        at = Math.max(at, first.due);
        timers = rest;
      } else if (event.jumpMs !== undefined) {
        const jump = event.jumpMs;
        at += jump;
        timers = timers.map((timer) => ({ ...timer, due: timer.due + jump }));
      }
      const { next, timing } = step(at, timers, (recording) => machine.transition(snapshot as never, event as never, recording) as AgentSnapshot, scope);
      // A user event that changes nothing answers the same snapshot, so it is not a new vertex; a
      // timer or a jump always makes a new one: time moved.
      if (timing.taken.length === 0 && at === before.now && timers === before.timers) return snapshot;
      const made = next === snapshot ? ({ ...snapshot } as AgentSnapshot) : next;
      timings.set(made, timing);
      return made;
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
  return { logic, timingOf };
}

/** The events the running agent could see next in this snapshot. */
function eventsIn(snapshot: AgentSnapshot, timing: Timing, events: ModelEvents, licenseFile: boolean): ModelEvent[] {
  if (snapshot.status !== 'active') return [];
  const first = timing.timers.find((timer) => Number.isFinite(timer.due));
  // A timer that is due fires before anything else can happen.
  if (first !== undefined && first.due <= timing.now) return [events.timer(first.type)];
  const next = [...events.user, ...events.jumps, ...(licenseFile ? events.replacements(timing.now) : [])];
  for (const node of activeLeaves(snapshot)) {
    for (const invoke of node.invoke) next.push(...events.ofActor(invoke.id, timing.now));
  }
  if (first !== undefined) next.push(events.timer(first.type));
  return next;
}

/** Whole days until `instant`, capped: the key tells "tomorrow" from "in a week", not one year from two. */
function daysUntil(instant: number, now: number): number {
  return Math.min(Math.max(Math.ceil((instant - now) / DAY), 0), 32);
}

/**
 * Whether the key counts the days a timer has left: only the validity region's stage timers, and
 * only while a daily reminder is pending, so that a reminder loop counts down to the stage timer it
 * leads to. Other loops (daily refresh ticks) need no counter: a stage timer also fires first
 * whenever no refresh timer is pending (a fetch in flight, offline).
 */
function countsDays(type: string, timers: readonly ArmedTimer[]): boolean {
  const stageTimer = type.includes('.validity.') && delayOfTimerEvent(type) !== 'dailyReminder';
  return stageTimer && timers.some((timer) => delayOfTimerEvent(timer.type) === 'dailyReminder');
}

/**
 * Where a vertex is, for the graph: the state, what its guards would decide now, and its pending
 * timers in firing order, with the days left for the validity region's stage timers (capped), so
 * that a daily loop counts down to the timer it leads to. Bounded: no absolute time, no counters.
 */
function placeKey(snapshot: AgentSnapshot, timing: Timing): string {
  const context = snapshot.context;
  const { now } = timing;
  return JSON.stringify({
    status: snapshot.status,
    value: snapshot.value,
    mode: context.mode,
    apiKeyFallback: context.apiKeyFallback === true,
    refreshPath: hasRefreshPath(context),
    needsFirstLicense: context.needsFirstLicense,
    forcedDue: now >= forcedRefreshAt(context),
    validityNow: validityLeafAt(expiresAtOf(context), context.gracePeriodMs, now),
    timers: timing.timers.filter(({ due }) => Number.isFinite(due)).map(({ type, due }) => (countsDays(type, timing.timers) ? `${type}:${daysUntil(due, now)}` : type)),
  });
}

/**
 * The vertex key: the place, and the transitions that led there the first time the search meets
 * them. A step that takes a transition no earlier vertex was reached by becomes a vertex of its
 * own, so every transition reached lies on a shortest path; any other step merges with its place,
 * so the graph stays the size of the places. Memoised per snapshot: the search asks more than once.
 */
function createVertexKey(timingOf: (snapshot: AgentSnapshot) => Timing): (snapshot: AgentSnapshot) => string {
  const keys = new WeakMap<AgentSnapshot, string>();
  const met = new Set<string>();
  return (snapshot) => {
    const known = keys.get(snapshot);
    if (known !== undefined) return known;
    const timing = timingOf(snapshot);
    const via = timing.taken.map(transitionLabel);
    const first = via.some((label) => !met.has(label));
    via.forEach((label) => met.add(label));
    const key = first ? `${placeKey(snapshot, timing)} via ${JSON.stringify(via)}` : placeKey(snapshot, timing);
    keys.set(snapshot, key);
    return key;
  };
}

/**
 * The paths that are no other path's prefix, each mapped by `rebuild`. A path is its sequence of
 * events (the model makes each event once); `sequence(length)` names the path's first steps.
 */
function maximal(
  paths: readonly ModelPath[],
  rebuild: (path: ModelPath, sequence: (length: number) => string) => ModelPath,
): ModelPath[] {
  const ids = new Map<ModelEvent, number>();
  const idOf = (event: ModelEvent) => ids.get(event) ?? ids.set(event, ids.size).get(event)!;
  const sequenceOf = (path: ModelPath) => (length: number) => path.steps.slice(1, length).map((step) => idOf(step.event)).join(' ');
  const prefixes = new Set(paths.map((path) => sequenceOf(path)(path.steps.length - 1)));
  return paths
    .filter((path) => paths.length === 1 || (path.steps.length > 1 && !prefixes.has(sequenceOf(path)(path.steps.length))))
    .map((path) => rebuild(path, sequenceOf(path)));
}

/** Builds the graph of one scenario and its shortest paths. */
export function buildAgentModel(scenario: Scenario): AgentModel {
  const { logic, timingOf } = createTimedLogic();
  const events = createModelEvents();
  const key = createVertexKey(timingOf);
  const scope = inertScope();
  const initial = logic.getInitialSnapshot(scope as never, scenario.input);
  const representatives = getShortestPaths(logic, {
    fromState: initial,
    events: (snapshot) => eventsIn(snapshot, timingOf(snapshot), events, scenario.licenseFile === true),
    serializeState: key,
    serializeEvent: events.label,
    limit: 1_000_000,
  });
  // Every shortest path is a prefix of a longest one: replaying those replays every step of every
  // path. A path's steps hold one representative snapshot per vertex, not the snapshots its own
  // events lead to: run the events again so that each step has the exact context, time and timers
  // the agent will have. Each event must be one the agent can see there; a fetch's answer is the
  // one issued at that step's instant. Paths share their prefixes, so each prefix runs once.
  const rebuilt = new Map<string, { state: AgentSnapshot; event: ModelEvent }>();
  const stepFrom = (state: AgentSnapshot, wanted: ModelEvent, prefix: string) => {
    const known = rebuilt.get(prefix);
    if (known !== undefined) return known;
    const event = eventsIn(state, timingOf(state), events, scenario.licenseFile === true).find((offered) => events.label(offered) === events.label(wanted));
    if (event === undefined) throw new Error(`the model is too coarse: ${events.label(wanted)} is not offered in ${key(state)}`);
    const step = { state: logic.transition(state, event, scope as never), event };
    rebuilt.set(prefix, step);
    return step;
  };
  const paths = maximal(representatives, (path, sequence) => {
    let state = initial;
    const steps = path.steps.map((step, index) => {
      if (index === 0) return { state, event: step.event };
      const next = stepFrom(state, step.event, sequence(index + 1));
      state = next.state;
      return next;
    });
    return { ...path, state, steps };
  });

  return {
    scenario,
    paths,
    timeOf: (snapshot) => timingOf(snapshot).now,
    timersOf: (snapshot) => timingOf(snapshot).timers,
    takenBy: (snapshot) => timingOf(snapshot).taken,
    describe: (path) =>
      path.steps.map((step, index) => `${index === 0 ? '' : `-(${events.label(step.event)})-> `}${stateName(step.state.value)}`).join(' '),
  };
}
