/**
 * The statechart with the agent's effects provided, once per process (on the first agent). A machine
 * definition is some 50 KiB of state nodes, and each `provide()` builds them again: built per agent,
 * they were most of an idle agent's memory. Here one provided machine serves every agent; each
 * agent's effects are registered against its actor system, which every action and invoked actor of
 * that agent sees.
 */
import { createActor, fromPromise, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { AgentContext, ExpiryNoticeStage, FetchInput, FetchOutput, MachineInput } from '../../machines/context.js';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import type { AgentClock } from '../clock.js';

/** What an action effect is given: the machine's context at the time it runs. */
export interface EffectArgs {
  readonly context: AgentContext;
}

/** The fetch: a verified successor license, or `undefined` when the server said "no change". */
export type FetchLicense = (input: FetchInput, signal: AbortSignal) => Promise<FetchOutput>;

/** One agent's implementations of the statechart's placeholders. */
export interface AgentEffects {
  /**
   * Told of an effect that threw: a log line or a cache write that fails must not stop the
   * statechart (an error in an action puts the whole actor in error), so it is reported and skipped.
   */
  readonly onEffectError: (error: unknown, effect: string) => void;
  readonly fetchLicense: FetchLicense;
  readonly persistLicense: (args: EffectArgs) => void;
  readonly logRefreshFailure: (args: EffectArgs) => void;
  readonly logExpiryNotice: (args: EffectArgs, params: { stage: ExpiryNoticeStage }) => void;
  readonly logGrace: (args: EffectArgs) => void;
  readonly logDegraded: (args: EffectArgs) => void;
}

/** Keyed by actor system: one per agent, shared by its statechart and the fetch actor it invokes. */
const effectsBySystem = new WeakMap<object, AgentEffects>();

function effectsOf(system: object): AgentEffects {
  const effects = effectsBySystem.get(system);
  // Only createAgentActor() makes actors of this machine, and it registers their effects first.
  if (effects === undefined) throw new Error('license agent: an actor runs without its effects');
  return effects;
}

type ActionEffect = Exclude<keyof AgentEffects, 'fetchLicense' | 'onEffectError'>;

/** Runs the action effect `name` of the actor's agent; one that throws is reported, never rethrown. */
function runEffect<K extends ActionEffect>(name: K, system: object, ...args: Parameters<AgentEffects[K]>): void {
  const effects = effectsOf(system);
  try {
    (effects[name] as (...all: Parameters<AgentEffects[K]>) => void)(...args);
  } catch (error) {
    effects.onEffectError(error, name);
  }
}

const provideEffects = () => licenseAgentMachine.provide({
  actors: {
    // async: a fetch that throws before it returns a promise still ends in the machine's onError.
    fetchLicense: fromPromise<FetchOutput, FetchInput>(async ({ input, signal, system }) => effectsOf(system).fetchLicense(input, signal)),
  },
  actions: {
    persistLicense: (args) => runEffect('persistLicense', args.system, args),
    logRefreshFailure: (args) => runEffect('logRefreshFailure', args.system, args),
    logExpiryNotice: (args, params) => runEffect('logExpiryNotice', args.system, args, params),
    logGrace: (args) => runEffect('logGrace', args.system, args),
    logDegraded: (args) => runEffect('logDegraded', args.system, args),
  },
});

type AgentMachine = ReturnType<typeof provideEffects>;
let agentMachine: AgentMachine | undefined;

export type AgentActor = Actor<AgentMachine>;

export interface AgentActorOptions {
  readonly input: MachineInput;
  readonly clock: AgentClock;
  readonly inspect?: Observer<InspectionEvent>;
}

/** An actor of the shared machine that runs `effects`: created, not started. */
export function createAgentActor(effects: AgentEffects, options: AgentActorOptions): AgentActor {
  agentMachine ??= provideEffects();
  const actor = createActor(agentMachine, options);
  effectsBySystem.set(actor.system, effects);
  return actor;
}
