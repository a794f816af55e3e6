/**
 * Replays a generated path against the real machine run by a real actor in simulated time: user
 * events are sent, timers fire one at a time from a `ModelClock`, clock jumps move the wall clock
 * alone and send `clock.wake`, and the invoked fetch settles as the path says. What the actor did
 * at each step is recorded so a test can compare it with what the model says it must do.
 */
import { createActor, fromPromise, type AnyTransitionDefinition } from 'xstate';
import { licenseAgentMachine, type AgentContext, type FetchInput, type FetchOutput } from '../../machines/license-agent.machine.js';
import type { VerifiedLicense } from '../../src/license/claims.js';
import { ModelClock, T0 } from '../support/clocks.js';
import { nextTurn } from '../support/timers.js';
import type { AgentModel, ModelEvent, ModelPath } from './agent-model.js';
import { delayOfTimerEvent, enteredBy } from './statechart.js';

/** One step as observed: where the agent is, what it knows, when, what it received and which effects ran. */
export interface StepRecord {
  readonly value: unknown;
  readonly status: string;
  /** The context without its time source, which differs between the model and the replay. */
  readonly context: Omit<AgentContext, 'time'>;
  readonly now: number;
  /** The events the agent received from outside (timers and settled fetches included). */
  readonly received: readonly string[];
  readonly effects: readonly string[];
}

/** A fetch as the replay records it: which kind, and whether REFRESH LICENSE asked for it. */
function fetchEffect(input: Pick<FetchInput, 'forced' | 'manual'>): string {
  return `fetch ${input.forced ? 'forced' : 'regular'}${input.manual ? ' manual' : ''}`;
}

/** The effect of entering a state, as the specification states it. */
const ENTRY_EFFECTS: Readonly<Record<string, string>> = {
  'licenseAgent.refresh.forcedRefresh': 'fetch forced',
  'licenseAgent.validity.valid.withinMonth': 'logExpiryNotice month',
  'licenseAgent.validity.valid.withinWeek': 'logExpiryNotice week',
  'licenseAgent.validity.expiringSoon': 'logExpiryNotice expiringSoon',
  'licenseAgent.validity.grace': 'logGrace',
  'licenseAgent.validity.degraded': 'logDegraded',
};

/**
 * The effects a step must run, read from the transitions it takes: a fetched license is persisted,
 * a failed fetch is logged, a fetch is aborted when the refresh region leaves it (a stop, a lapse,
 * a replaced license), and entering a state runs its effect. Sorted: the order within a step is free.
 */
function effectsOf(transitions: readonly AnyTransitionDefinition[], leaving: string | undefined): string[] {
  const effects: string[] = [];
  for (const transition of transitions) {
    const eventType = String(transition.eventType);
    if (eventType.startsWith('xstate.done.actor.')) effects.push('persistLicense');
    if (eventType.startsWith('xstate.error.actor.')) effects.push('logRefreshFailure');
    // The refresh region's own transitions (the stop, a lapse, a replaced license) leave whatever state it is in.
    if (transition.source.key === 'refresh' && transition.target !== undefined && leaving !== undefined && FETCHING.has(leaving)) {
      effects.push('fetch aborted');
    }
    for (const node of enteredBy(transition)) {
      // The fetch a transition starts is manual when `refresh.now` asked for it.
      const regular = node.id === 'licenseAgent.refresh.refreshing' || node.id === 'licenseAgent.refresh.firstLicense.fetching';
      const effect = regular ? fetchEffect({ forced: false, manual: transition.eventType === 'refresh.now' }) : ENTRY_EFFECTS[node.id];
      if (effect !== undefined) effects.push(effect);
    }
  }
  return effects.sort();
}

/** The refresh region's states that have a fetch in flight. */
const FETCHING: ReadonlySet<string> = new Set(['refreshing', 'forcedRefresh', 'firstLicense.fetching']);

/** The refresh region's state as a dotted path (`firstLicense.retryWait`). */
function refreshStateOf(value: unknown): string | undefined {
  const refresh = (value as { refresh?: unknown } | undefined)?.refresh;
  if (refresh === undefined || typeof refresh === 'string') return refresh;
  const [key, child] = Object.entries(refresh as Record<string, string>)[0] ?? [];
  return `${key}.${child}`;
}

function withoutTime({ time: _time, ...context }: AgentContext): Omit<AgentContext, 'time'> {
  return context;
}

/** What the model says each step of `path` looks like. */
export function expectedRecords(model: AgentModel, path: ModelPath): StepRecord[] {
  return path.steps.map((step, index) => ({
    value: step.state.value,
    status: step.state.status,
    context: withoutTime(step.state.context),
    now: model.timeOf(step.state),
    // A clock jump arrives as a plain `clock.wake`; a timer as its `xstate.after.*` event.
    received: [index === 0 ? 'xstate.init' : step.event.type],
    effects: effectsOf(model.takenBy(step.state), index === 0 ? undefined : refreshStateOf(path.steps[index - 1]?.state.value)),
  }));
}

interface PendingFetch {
  readonly forced: boolean;
  resolve(output: FetchOutput): void;
  reject(error: unknown): void;
}

async function settle(): Promise<void> {
  for (let round = 0; round < 4; round += 1) await nextTurn();
}

/** What one replay owns: its clock, the fetches in flight, and what happened since the last record. */
interface Run {
  readonly clock: ModelClock;
  readonly inFlight: PendingFetch[];
  effects: string[];
  received: string[];
}

/**
 * The machine the replays of one model run, built once (building a machine costs more than
 * replaying a path); its time and effects go to the replay in progress, one at a time.
 */
function createReplayMachine() {
  let current: Run | undefined;
  const run = (): Run => current ?? (() => { throw new Error('no replay in progress'); })();
  const machine = licenseAgentMachine.provide({
    actors: {
      fetchLicense: fromPromise<FetchOutput, FetchInput>(({ input, signal }) => {
        const { effects, inFlight } = run();
        effects.push(fetchEffect(input));
        return new Promise((resolve, reject) => {
          const fetch: PendingFetch = { forced: input.forced, resolve, reject };
          inFlight.push(fetch);
          signal.addEventListener('abort', () => {
            run().effects.push('fetch aborted');
            inFlight.splice(inFlight.indexOf(fetch), 1);
          });
        });
      }),
    },
    actions: {
      persistLicense: () => void run().effects.push('persistLicense'),
      logRefreshFailure: () => void run().effects.push('logRefreshFailure'),
      logExpiryNotice: (_, params) => void run().effects.push(`logExpiryNotice ${params.stage}`),
      logGrace: () => void run().effects.push('logGrace'),
      logDegraded: () => void run().effects.push('logDegraded'),
    },
  });
  return {
    machine,
    begin(next: Run) {
      if (current !== undefined) throw new Error('replays of one model run one at a time');
      current = next;
    },
    end() {
      current = undefined;
    },
  };
}

const replayMachines = new WeakMap<AgentModel, ReturnType<typeof createReplayMachine>>();

/** Runs `path` on a real actor; `onTransition` sees every transition the actor takes. */
export async function replay(
  model: AgentModel,
  path: ModelPath,
  onTransition: (transition: AnyTransitionDefinition) => void = () => {},
): Promise<StepRecord[]> {
  const replayMachine = replayMachines.get(model) ?? replayMachines.set(model, createReplayMachine()).get(model)!;
  const run: Run = { clock: new ModelClock(T0), inFlight: [], effects: [], received: [] };
  const { clock, inFlight } = run;
  replayMachine.begin(run);
  const actor = createActor(replayMachine.machine, {
    clock,
    input: { ...model.scenario.input, time: { now: () => clock.now(), random: () => 0 } },
    inspect: (event) => {
      if (event.type === '@xstate.microstep') event._transitions.forEach(onTransition);
      if (event.type === '@xstate.event' && event.actorRef === actor) run.received.push(event.event.type);
    },
  });
  const records: StepRecord[] = [];
  const record = () => {
    const snapshot = actor.getSnapshot();
    records.push({ value: snapshot.value, status: snapshot.status, context: withoutTime(snapshot.context), now: clock.now(), received: run.received, effects: run.effects.sort() });
    run.effects = [];
    run.received = [];
  };

  const perform = async (event: ModelEvent) => {
    if (event.type === 'refresh.now' || event.type === 'agent.stop') {
      actor.send({ type: event.type });
    } else if (event.type === 'license.replaced') {
      actor.send({ type: event.type, license: event.license as VerifiedLicense });
    } else if (event.type === 'clock.wake') {
      clock.jump(event.jumpMs ?? Number.NaN);
      actor.send({ type: 'clock.wake' });
    } else if (delayOfTimerEvent(event.type) !== undefined) {
      clock.fireNext();
    } else {
      const fetch = inFlight.shift();
      const forced = event.type.endsWith('.forcedFetch');
      if (fetch === undefined || fetch.forced !== forced || inFlight.length > 0) {
        throw new Error(`${event.type}: expected one ${forced ? 'forced' : 'regular'} fetch in flight`);
      }
      if (event.type.startsWith('xstate.done.actor.')) fetch.resolve(event.output as FetchOutput);
      else fetch.reject(event.error);
      await settle();
    }
  };

  try {
    actor.start();
    await settle();
    record();
    for (const step of path.steps.slice(1)) {
      await perform(step.event);
      record();
    }
  } finally {
    actor.stop();
    replayMachine.end();
  }
  return records;
}
