/**
 * Model-based tests of the refresh region: paths generated from the statechart with `xstate/graph`,
 * each replayed against the real machine in a real actor on a simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { buildRefreshModel, catalogue, statesTouched, transitionLabel } from './refresh-model.js';
import { expectedRecords, replay } from './replay.js';
import { SCENARIOS } from './scenarios.js';

const MODELS = SCENARIOS.map(buildRefreshModel);
const DEFINED = catalogue(licenseAgentMachine);

function missing(defined: readonly string[], reached: ReadonlySet<string>): string[] {
  return defined.filter((id) => !reached.has(id));
}

function report(kind: string, defined: readonly string[], reached: ReadonlySet<string>) {
  const states = DEFINED.states.filter((id) => reached.has(`state ${id}`)).length;
  const transitions = defined.filter((label) => reached.has(label)).length;
  console.log(
    `${kind}: states reached ${states}/${DEFINED.states.length}, transitions reached ${transitions}/${defined.length}` +
      ` (${MODELS.length} scenarios, ${MODELS.reduce((sum, model) => sum + model.paths.length, 0)} paths)`,
  );
}

describe('the refresh region, as generated from the statechart', () => {
  for (const model of MODELS) {
    describe(`from ${model.scenario.name}`, () => {
      for (const path of model.paths) {
        it(`follows the model: ${model.describe(path)}`, async () => {
          expect(await replay(model, path)).toEqual(expectedRecords(model, path));
        });
      }
    });
  }

  it('generates paths that reach every state and every transition of the machine', () => {
    const reached = new Set<string>();
    for (const model of MODELS) {
      for (const path of model.paths) {
        for (const step of path.steps) {
          for (const transition of model.takenBy(step.state)) {
            reached.add(transitionLabel(transition));
            for (const id of statesTouched(transition)) reached.add(`state ${id}`);
          }
        }
      }
    }
    report('model', DEFINED.transitions, reached);
    expect(missing(DEFINED.states, new Set([...reached].map((key) => key.replace(/^state /, ''))))).toEqual([]);
    expect(missing(DEFINED.transitions, reached)).toEqual([]);
  });

  it('takes every transition of the machine when the generated paths are replayed', async () => {
    const reached = new Set<string>();
    for (const model of MODELS) {
      for (const path of model.paths) {
        await replay(model, path, (transition) => {
          reached.add(transitionLabel(transition));
          for (const id of statesTouched(transition)) reached.add(`state ${id}`);
        });
      }
    }
    report('replay', DEFINED.transitions, reached);
    expect(missing(DEFINED.states, new Set([...reached].map((key) => key.replace(/^state /, ''))))).toEqual([]);
    expect(missing(DEFINED.transitions, reached)).toEqual([]);
  });
});
