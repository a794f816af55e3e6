/**
 * The usage counters: the server's hot path. Recording is a plain in-place update of a field on
 * this object, with no allocation, no event and no actor `send`; the telemetry actor reads a
 * snapshot only when a refresh body is built.
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

/** Gauges accept what a server reports, but a body carries only non-negative integers. */
function gauge(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * The recording API a server calls (`agent.telemetry`).
 *
 * @example
 * agent.telemetry.recordQuery();
 * agent.telemetry.setClustersConnected(2);
 */
export class UsageCounters {
  queries = 0;
  joins = 0;
  materializedViews = 0;
  clusters = 0;

  /** One SQL query served. */
  recordQuery(): void {
    this.queries++;
  }

  /** One join executed. */
  recordJoin(): void {
    this.joins++;
  }

  /** `count` queries served at once (a batch, or a diagnostics_channel message). */
  recordQueries(count: number): void {
    this.queries += count;
  }

  /** `count` joins executed at once. */
  recordJoins(count: number): void {
    this.joins += count;
  }

  /** The number of materialized views now active. */
  setMaterializedViews(count: number): void {
    this.materializedViews = count;
  }

  /** The number of Elasticsearch clusters now connected. */
  setClustersConnected(count: number): void {
    this.clusters = count;
  }

  /** A copy of the figures as sent on the wire. */
  snapshot(): UsageSnapshot {
    return {
      queries_total: gauge(this.queries),
      joins_total: gauge(this.joins),
      mvs_active: gauge(this.materializedViews),
      clusters_connected: gauge(this.clusters),
    };
  }
}
