/**
 * `visualizations/license-agent.stately.json` is a machine config Stately's editor can import: it
 * must load into XState's `createMachine` as it is, and give back the same statechart, eventless
 * transitions, timers, invoked actors and guards included.
 */
import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { readStatechart } from '../../scripts/viz/statechart.js';
import { toStatelyJson } from '../../scripts/viz/stately.js';

describe('the Stately machine config', () => {
  const json = toStatelyJson(licenseAgentMachine);
  const imported = createMachine(JSON.parse(json) as never);

  it('loads into createMachine with the same states and transitions as the machine', () => {
    expect(readStatechart(imported)).toEqual(readStatechart(licenseAgentMachine));
  });

  it('keeps the eventless transitions that machine.toJSON() leaves out', () => {
    const eventless = (machine: AnyStateMachine) => getStateNodes(machine.root).flatMap((node) => node.always ?? []).length;
    expect(eventless(licenseAgentMachine)).toBeGreaterThan(0);
    expect(eventless(imported)).toBe(eventless(licenseAgentMachine));
  });

  it('holds no code, only structure', () => {
    expect(json).not.toMatch(/=>|function/);
  });
});
