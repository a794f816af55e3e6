/**
 * The three statechart files of `visualizations/`, made in memory from the machine definition: the
 * generator writes them, the drift test compares them with the committed ones.
 */
import type { AnyStateMachine } from 'xstate';
import { dotToSvg, toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { toStatelyJson } from './stately.js';
import { readStatechart } from './statechart.js';

/** File name (in `visualizations/`) → content. */
export type GeneratedFiles = Readonly<Record<string, string>>;

export async function statechartFiles(machine: AnyStateMachine): Promise<GeneratedFiles> {
  const chart = readStatechart(machine);
  return {
    'license-agent.mmd': toMermaid(chart),
    'license-agent.svg': await dotToSvg(toDot(chart)),
    'license-agent.stately.json': toStatelyJson(machine),
  };
}
