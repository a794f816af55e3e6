/**
 * The statechart with the agent's effects provided, once per process (on the first agent). A machine
 * definition is some 50 KiB of state nodes, and each `provide()` builds them again: built per agent,
 * they were most of an idle agent's memory. Here one provided machine serves every agent; each
 * agent's effects are registered against its actor system, which every action and invoked actor of
 * that agent sees.
 */
import { createActor, fromPromise, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { FetchInput, FetchOutput, MachineInput } from '../../machines/context.js';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import type { AgentClock } from '../clock.js';
import type { AgentEffects } from '../effects/create-effects.js';

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
    logRefreshFailure: (args, failure) => runEffect('logRefreshFailure', args.system, args, failure),
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
