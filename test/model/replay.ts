/**
 * Replays a generated path against the real machine run by a real actor in simulated time: user
 * events are sent, timers fire by moving a `SimulatedClock`, and the invoked fetch settles as the
 * path says. What the actor did at each step is recorded so a test can compare it with the model.
 */
import { SimulatedClock, createActor, fromPromise, type AnyTransitionDefinition } from 'xstate';
import {
  createLicenseAgentMachine,
  type AgentContext,
  type AgentEvent,
  type FetchInput,
  type FetchOutput,
} from '../../machines/license-agent.machine.js';
import { delayOfTimerEvent, timerDelay, type ModelEvent, type ModelPath, type RefreshModel } from './refresh-model.js';
import { T0 } from './scenarios.js';

/** One step as observed: where the agent is, what it knows, when, and which effects ran. */
export interface StepRecord {
  readonly value: unknown;
  readonly status: string;
  readonly context: AgentContext;
  readonly now: number;
  readonly effects: readonly string[];
}

/** The effects a step must run, read from the transitions it takes. Sorted: a step's order is free. */
function effectsOf(transitions: readonly AnyTransitionDefinition[], leaving: string | undefined): string[] {
  const effects: string[] = [];
  for (const transition of transitions) {
    if (transition.eventType.startsWith('xstate.done.actor.')) effects.push('persistLicense');
    if (transition.eventType === 'agent.stop' && (leaving === 'refreshing' || leaving === 'forcedRefresh')) effects.push('fetch aborted');
    for (const target of transition.target ?? []) {
      if (target.key === 'degradedWarning') effects.push('logRefreshFailure');
      if (target.key === 'refreshing') effects.push('fetch regular');
      if (target.key === 'forcedRefresh') effects.push('fetch forced');
    }
  }
  return effects.sort();
}

function refreshStateOf(value: unknown): string | undefined {
  return (value as { refresh?: string } | undefined)?.refresh;
}

/** What the model says each step of `path` looks like. */
export function expectedRecords(model: RefreshModel, path: ModelPath): StepRecord[] {
  return path.steps.map((step, index) => ({
    value: step.state.value,
    status: step.state.status,
    context: step.state.context,
    now: model.timeOf(step.state),
    effects: effectsOf(model.takenBy(step.state), index === 0 ? undefined : refreshStateOf(path.steps[index - 1]?.state.value)),
  }));
}

interface PendingFetch {
  readonly forced: boolean;
  resolve(output: FetchOutput): void;
  reject(error: unknown): void;
}

async function settle(): Promise<void> {
  for (let round = 0; round < 4; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs `path` on a real actor; `onTransition` sees every transition the actor takes. */
export async function replay(
  model: RefreshModel,
  path: ModelPath,
  onTransition: (transition: AnyTransitionDefinition) => void = () => {},
): Promise<StepRecord[]> {
  const clock = new SimulatedClock();
  clock.set(T0);
  let effects: string[] = [];
  const inFlight: PendingFetch[] = [];
  const machine = createLicenseAgentMachine({ now: () => clock.now(), random: () => 0 }).provide({
    actors: {
      fetchLicense: fromPromise<FetchOutput, FetchInput>(({ input, signal }) => {
        effects.push(input.forced ? 'fetch forced' : 'fetch regular');
        return new Promise((resolve, reject) => {
          const fetch: PendingFetch = { forced: input.forced, resolve, reject };
          inFlight.push(fetch);
          signal.addEventListener('abort', () => {
            effects.push('fetch aborted');
            inFlight.splice(inFlight.indexOf(fetch), 1);
          });
        });
      }),
    },
    actions: {
      persistLicense: () => void effects.push('persistLicense'),
      logRefreshFailure: () => void effects.push('logRefreshFailure'),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: model.scenario.input,
    inspect: (event) => {
      if (event.type === '@xstate.microstep') event._transitions.forEach(onTransition);
    },
  });
  const records: StepRecord[] = [];
  const record = () => {
    const snapshot = actor.getSnapshot();
    records.push({ value: snapshot.value, status: snapshot.status, context: snapshot.context, now: clock.now(), effects: effects.sort() });
    effects = [];
  };

  const perform = async (event: ModelEvent) => {
    if (event.type === 'refresh.now' || event.type === 'agent.stop') {
      actor.send(event as AgentEvent);
    } else if (delayOfTimerEvent(event.type) !== undefined) {
      // Move the clock by the delay the timer was armed with: only that timer fires.
      clock.increment(timerDelay(machine, event.type, actor.getSnapshot().context));
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
  }
  return records;
}
