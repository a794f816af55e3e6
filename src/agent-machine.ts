/**
 * The statechart with the agent's effects provided, once per process (on the first agent). A machine
 * definition is some 50 KiB of state nodes, and each `provide()` builds them again: built per agent,
 * they were most of an idle agent's memory. Here one provided machine serves every agent; each
 * agent's effects are registered against its actor system, which every action and invoked actor of
 * that agent sees.
 */
import { createActor, fromPromise, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { AgentContext, ExpiryNoticeStage, FetchInput, FetchOutput, MachineInput } from '../machines/context.js';
import { licenseAgentMachine } from '../machines/license-agent.machine.js';
import type { AgentClock } from './options.js';

/** What an action effect is given: the machine's context at the time it runs. */
export interface EffectArgs {
  readonly context: AgentContext;
}

/** The fetch: a verified successor license, or `undefined` when the server said "no change". */
export type FetchLicense = (input: FetchInput, signal: AbortSignal) => Promise<FetchOutput>;

/** One agent's implementations of the statechart's placeholders. */
export interface AgentEffects {
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

const provideEffects = () => licenseAgentMachine.provide({
  actors: {
    fetchLicense: fromPromise<FetchOutput, FetchInput>(({ input, signal, system }) => effectsOf(system).fetchLicense(input, signal)),
  },
  actions: {
    persistLicense: (args) => effectsOf(args.system).persistLicense(args),
    logRefreshFailure: (args) => effectsOf(args.system).logRefreshFailure(args),
    logExpiryNotice: (args, params) => effectsOf(args.system).logExpiryNotice(args, params),
    logGrace: (args) => effectsOf(args.system).logGrace(args),
    logDegraded: (args) => effectsOf(args.system).logDegraded(args),
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
