/**
 * The colours shared by the statechart diagram and the timeline, so that a state looks the same in
 * both: a fill per state (by its last key), and a colour per kind of transition and request outcome.
 */

/** Fill colours of states, by state key. */
export const STATE_FILLS: Readonly<Record<string, string>> = {
  // refresh region
  starting: '#e5e7eb',
  deciding: '#e5e7eb',
  firstLicense: '#fef3c7',
  fetching: '#93c5fd',
  offline: '#d1d5db',
  scheduled: '#dbeafe',
  refreshing: '#93c5fd',
  forcedRefresh: '#c4b5fd',
  retryWait: '#fca5a5',
  stopped: '#9ca3af',
  // validity region
  checking: '#e5e7eb',
  longTerm: '#86efac',
  withinMonth: '#bef264',
  withinWeek: '#fde047',
  expiringSoon: '#fed7aa',
  early: '#fdba74',
  mid: '#fb923c',
  degraded: '#f87171',
  // effective tier (timeline only)
  Community: '#d1d5db',
};

/** The fill of a state or tier without a colour of its own. */
export const DEFAULT_FILL = '#f3f4f6';

export function fillOf(key: string): string {
  return STATE_FILLS[key] ?? DEFAULT_FILL;
}

/** Edge colours by what triggers the transition. */
export const TRIGGER_COLOURS = {
  event: '#1f2937',
  after: '#1d4ed8',
  done: '#15803d',
  error: '#b91c1c',
  always: '#6b7280',
} as const;

/** Request outcomes on the timeline. */
export const OUTCOME_COLOURS = {
  ok: '#16a34a',
  failed: '#dc2626',
} as const;

export const INK = '#111827';
export const MUTED = '#6b7280';
/** Secondary text on a coloured fill. */
export const SUBTLE = '#374151';
export const FONT = 'Helvetica, Arial, sans-serif';
