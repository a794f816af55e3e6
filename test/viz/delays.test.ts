/**
 * Every name the statechart uses is defined in its `setup()`: a misspelled delay type-checks and
 * fires at once, a misspelled guard, action or actor fails only when its transition is taken.
 */
import { describe, expect, it } from 'vitest';
import { setup, type AnyStateMachine } from 'xstate';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { missingImplementations, namedImplementations } from './named-implementations.js';

describe('the names used by the license agent statechart', () => {
  const missing = missingImplementations(licenseAgentMachine);

  it('defines in setup() every delay named in an after transition', () => {
    expect(namedImplementations(licenseAgentMachine).delays.size).toBeGreaterThan(0);
    expect(missing.delays).toEqual([]);
  });

  it('defines in setup() every guard it names', () => {
    expect(missing.guards).toEqual([]);
  });

  it('defines in setup() every action it names', () => {
    expect(missing.actions).toEqual([]);
  });

  it('defines in setup() every actor it invokes', () => {
    expect(missing.actors).toEqual([]);
  });
});

describe('the check for names that setup() does not define', () => {
  // The mistakes this check exists for, made on purpose: the machine is created without complaint.
  const misspelled = setup({
    delays: { refreshInterval: 1_000 },
    guards: { canRefresh: () => true },
    actions: { persistLicense: () => undefined },
  }).createMachine({
    initial: 'scheduled',
    states: {
      scheduled: {
        after: { refreshIntervall: { target: 'refreshing', guard: 'canRefreh' } },
        entry: 'persistLicence',
      },
      refreshing: { invoke: { src: 'fetchLicence' } },
    },
  } as never) as unknown as AnyStateMachine;

  it('finds a misspelled delay, guard, action and actor', () => {
    expect(missingImplementations(misspelled)).toEqual({
      delays: ['refreshIntervall'],
      guards: ['canRefreh'],
      actions: ['persistLicence'],
      actors: ['fetchLicence'],
    });
  });
});
