/**
 * The usage figures: what a server records (`agent.telemetry`, {@link UsageCounters}) and what a
 * refresh body carries ({@link UsageSnapshot}). The telemetry actor owns them
 * (`telemetry-actor.ts`); this module holds only their shapes and the rule that turns them into
 * wire figures.
 */

/** The anonymous usage figures sent with a refresh (when telemetry is on). */
export interface UsageSnapshot {
  /** Queries since the agent started. */
  readonly queries_total: number;
  /** Joins since the agent started. */
  readonly joins_total: number;
  /** Materialized views active, as last set by the server. */
  readonly mvs_active: number;
  /** Elasticsearch clusters connected, as last set by the server. */
  readonly clusters_connected: number;
}

/**
 * The recording API a server calls (`agent.telemetry`). Counting is a bare in-place increment, safe
 * to call per query; gauges are meant to be set when they change. Every method may be called before
 * `start()` and after `stop()`: nothing throws and nothing recorded is lost.
 *
 * @example
 * agent.telemetry.recordQuery();
 * agent.telemetry.setClustersConnected(2);
 */
export interface UsageCounters {
  /** One SQL query served. */
  recordQuery(): void;
  /** One join executed. */
  recordJoin(): void;
  /** `count` queries served at once (a batch, or a diagnostics_channel message). */
  recordQueries(count: number): void;
  /** `count` joins executed at once. */
  recordJoins(count: number): void;
  /** The number of materialized views now active. */
  setMaterializedViews(count: number): void;
  /** The number of Elasticsearch clusters now connected. */
  setClustersConnected(count: number): void;
  /** A copy of the figures as sent on the wire. */
  snapshot(): UsageSnapshot;
  /** Queries recorded so far, as recorded (kept from the first API; `snapshot()` is what is sent). */
  readonly queries: number;
  /** Joins recorded so far, as recorded. */
  readonly joins: number;
  /** The materialized views last set, as set. */
  readonly materializedViews: number;
  /** The clusters last set, as set. */
  readonly clusters: number;
}

/** The counts as recorded so far. */
export interface UsageTally {
  readonly queries: number;
  readonly joins: number;
}

/** The gauges, named as on the wire. */
export type Gauge = 'mvs_active' | 'clusters_connected';

export const GAUGES: readonly Gauge[] = ['mvs_active', 'clusters_connected'];

export type Gauges = Readonly<Record<Gauge, number>>;

/** A server may report anything, but a body carries only non-negative integers. */
function wireFigure(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** The figures as sent: a fresh object, so that later recording does not change a body being built. */
export function usageSnapshot(tally: UsageTally, gauges: Gauges): UsageSnapshot {
  return {
    queries_total: wireFigure(tally.queries),
    joins_total: wireFigure(tally.joins),
    mvs_active: wireFigure(gauges.mvs_active),
    clusters_connected: wireFigure(gauges.clusters_connected),
  };
}
