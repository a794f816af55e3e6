/**
 * What a snapshot of the statechart says, typed from the machine itself: the refresh region's state
 * as `status().state` reports it, and the validity region's stage. Nothing here is a hand-kept list
 * of state names: a state added to the machine shows up in these types, and one removed fails to
 * compile wherever it is still named.
 */
import type { SnapshotFrom } from 'xstate';
import type { LicenseAgentMachine } from '../../machines/license-agent.machine.js';
import type { GraceStage, ValidityStage } from '../license/effective.js';

export type Snapshot = SnapshotFrom<LicenseAgentMachine>;

type RegionValue = Exclude<Snapshot['value'], string>;

/** A nested state value as a dotted path: `{ firstLicense: 'retryWait' }` is `'firstLicense.retryWait'`. */
type StatePath<V> = V extends string ? V : { [K in keyof V & string]: `${K}.${StatePath<V[K]>}` }[keyof V & string];

/**
 * The refresh region's states, as `status().state` and `stateChanged` report them (a nested one as a
 * dotted path). The transient decision nodes (`starting`, `deciding`) never rest, so never show.
 * Derived from the machine, so the reference shows the derivation; the states are `firstLicense.fetching`,
 * `firstLicense.retryWait`, `offline`, `scheduled`, `refreshing`, `forcedRefresh`, `retryWait` and `stopped`.
 */
export type RefreshState = Exclude<StatePath<RegionValue['refresh']>, 'starting' | 'deciding'>;

export function refreshStateOf(snapshot: Snapshot): RefreshState {
  return statePath(snapshot.value.refresh) as RefreshState;
}

function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  // A region's value holds one active child: `{ grace: 'early' }`.
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  return `${key}.${statePath(child)}`;
}

/** The validity region's state as a dotted path: `'valid.withinWeek'`, `'grace.early'`, `'degraded'`. */
export function validityPathOf(snapshot: Snapshot): string {
  return statePath(snapshot.value.validity);
}

/**
 * The validity region's stage and grace part; `checking` never lasts, so it maps to `valid`, as does
 * `stopped` (the view keeps the stage it saw last).
 */
export function validityOf(snapshot: Snapshot): { stage: ValidityStage; grace: GraceStage } {
  if (snapshot.matches({ validity: 'expiringSoon' })) return { stage: 'expiringSoon', grace: 'none' };
  if (snapshot.matches({ validity: 'degraded' })) return { stage: 'degraded', grace: 'none' };
  if (snapshot.matches({ validity: { grace: 'early' } })) return { stage: 'grace', grace: 'early' };
  if (snapshot.matches({ validity: { grace: 'mid' } })) return { stage: 'grace', grace: 'mid' };
  return { stage: 'valid', grace: 'none' };
}
