/**
 * Model-based tests of both regions of the license agent (`refresh` and `validity`): paths
 * generated from the statechart with `xstate/graph`, each replayed against the real machine in a
 * real actor on a simulated clock, and the coverage they reach, region by region.
 */
import { describe, expect, it } from 'vitest';
import type { AnyTransitionDefinition } from 'xstate';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { expiresAtOf } from '../../machines/refresh-policy.js';
import { validityLeafAt, type ValidityLeaf } from '../../machines/validity.js';
import { buildAgentModel, catalogue, type AgentModel, type AgentSnapshot, type ModelPath } from './agent-model.js';
import { expectedRecords, replay } from './replay.js';
import { SCENARIOS } from './scenarios.js';
import { statesTouched, transitionLabel } from './statechart.js';

const MODELS = SCENARIOS.map(buildAgentModel);
const DEFINED = catalogue(licenseAgentMachine);
const REGIONS = ['refresh', 'validity'] as const;

/** What a set of paths reached: transition labels, and state ids. */
interface Coverage {
  readonly transitions: Set<string>;
  readonly states: Set<string>;
}

function emptyCoverage(): Coverage {
  return { transitions: new Set(), states: new Set() };
}

function cover(coverage: Coverage, transition: AnyTransitionDefinition): void {
  coverage.transitions.add(transitionLabel(transition));
  for (const id of statesTouched(transition)) coverage.states.add(id);
}

const inRegion = (region: string) => (id: string) => id.startsWith(`licenseAgent.${region}`);

/** Prints, per region and in total, how many of the defined states and transitions were reached; answers what was not. */
function report(kind: string, coverage: Coverage): { states: string[]; transitions: string[] } {
  const lines = [...REGIONS, undefined].map((region) => {
    const states = DEFINED.states.filter(region === undefined ? () => true : inRegion(region));
    const transitions = DEFINED.transitions.filter(region === undefined ? () => true : inRegion(region));
    const statesReached = states.filter((id) => coverage.states.has(id)).length;
    const transitionsReached = transitions.filter((label) => coverage.transitions.has(label)).length;
    return `  ${region ?? 'total'}: states ${statesReached}/${states.length}, transitions ${transitionsReached}/${transitions.length}`;
  });
  const paths = MODELS.reduce((sum, model) => sum + model.paths.length, 0);
  console.log(`${kind} (${MODELS.length} scenarios, ${paths} paths):\n${lines.join('\n')}`);
  return {
    states: DEFINED.states.filter((id) => !coverage.states.has(id)),
    transitions: DEFINED.transitions.filter((label) => !coverage.transitions.has(label)),
  };
}

/** Filled by the replays below, read by the coverage test that follows them. */
const REPLAYED = emptyCoverage();
let replayedPaths = 0;

describe('the license agent, as generated from the statechart', () => {
  for (const model of MODELS) {
    describe(`from ${model.scenario.name}`, () => {
      for (const path of model.paths) {
        it(`follows the model: ${model.describe(path)}`, async () => {
          const records = await replay(model, path, (transition) => cover(REPLAYED, transition));
          replayedPaths += 1;
          expect(records).toEqual(expectedRecords(model, path));
        });
      }
    });
  }

  it('generates paths that reach every state and every transition of both regions', () => {
    const reached = emptyCoverage();
    for (const model of MODELS) {
      for (const path of model.paths) {
        for (const step of path.steps) model.takenBy(step.state).forEach((transition) => cover(reached, transition));
      }
    }
    expect(report('generated paths', reached)).toEqual({ states: [], transitions: [] });
  });

  it('takes every transition of both regions when the generated paths are replayed', () => {
    expect(replayedPaths).toBe(MODELS.reduce((sum, model) => sum + model.paths.length, 0));
    expect(report('replayed paths', REPLAYED)).toEqual({ states: [], transitions: [] });
  });
});

function validityLeafOf(snapshot: AgentSnapshot): string {
  const validity = (snapshot.value as { validity: string | Record<string, string> }).validity;
  return typeof validity === 'string' ? validity : Object.values(validity)[0] ?? '';
}

/**
 * The first step of `path` at which the validity region shows another stage than the wall clock
 * says (`validityLeafAt`), unless a validity timer is due at that very instant (it fires next).
 */
function firstStaleStep(model: AgentModel, path: ModelPath): { index: number; shown: string; due: ValidityLeaf } | undefined {
  for (const [index, { state }] of path.steps.entries()) {
    if (state.status !== 'active') continue;
    const now = model.timeOf(state);
    if (model.timersOf(state).some((timer) => timer.type.includes('.validity.') && timer.due <= now)) continue;
    const due = validityLeafAt(expiresAtOf(state.context), state.context.gracePeriodMs, now);
    if (validityLeafOf(state) !== due) return { index, shown: validityLeafOf(state), due };
  }
  return undefined;
}

describe('the validity region against the wall clock', () => {
  it('shows the stage the wall clock says at every step of every generated path', () => {
    // The shortest example of each way to be behind, so that a failure reads as a list of repros.
    const examples = new Map<string, string>();
    let count = 0;
    for (const model of MODELS) {
      for (const path of model.paths) {
        const found = firstStaleStep(model, path);
        if (found === undefined) continue;
        count += 1;
        const kind = `${found.shown} instead of ${found.due}`;
        const repro = `${kind}, from ${model.scenario.name}: ${model.describe({ ...path, steps: path.steps.slice(0, found.index + 1) })}`;
        const known = examples.get(kind);
        if (known === undefined || repro.length < known.length) examples.set(kind, repro);
      }
    }
    expect([...examples.values()], `${count} generated paths leave the validity stage behind the wall clock`).toEqual([]);
  });
});
