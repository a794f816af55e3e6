/**
 * `node:diagnostics_channel` integration. A server can publish its usage without a reference to the
 * agent (`softclient4es:query`, ...), and APM tools can watch the agent's transitions and refresh
 * results (`softclient4es-license:state`, `softclient4es-license:refresh`). Publishing to a channel
 * nobody listens to costs a property check; the agent publishes only when someone subscribed. The
 * telemetry actor listens to the usage channels while it runs (`telemetry/usage-channels.ts`).
 *
 * @example
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import { CHANNELS } from 'softclient4es-license';
 * const queries = diagnostics_channel.channel(CHANNELS.query);
 * queries.publish({});                     // one query
 * diagnostics_channel.channel(CHANNELS.clusters).publish({ count: 2 });
 */
import diagnostics_channel from 'node:diagnostics_channel';

export const CHANNELS = Object.freeze({
  /** Server → agent: queries served. Message {@link CountMessage}; `count` defaults to 1. */
  query: 'softclient4es:query',
  /** Server → agent: joins executed. Message {@link CountMessage}; `count` defaults to 1. */
  join: 'softclient4es:join',
  /** Server → agent: materialized views now active. Message {@link GaugeMessage}. */
  materializedViews: 'softclient4es:materialized-views',
  /** Server → agent: clusters now connected. Message {@link GaugeMessage}. */
  clusters: 'softclient4es:clusters',
  /** Agent → anyone: a region of the statechart changed state. Message {@link StateMessage}. */
  state: 'softclient4es-license:state',
  /** Agent → anyone: a refresh attempt ended. Message {@link RefreshMessage}. */
  refresh: 'softclient4es-license:refresh',
} as const);

/** `softclient4es:query` and `softclient4es:join`: how many happened (default 1). */
export interface CountMessage {
  readonly count?: number;
}

/** `softclient4es:materialized-views` and `softclient4es:clusters`: the current number. */
export interface GaugeMessage {
  readonly count: number;
}

export interface StateMessage {
  readonly region: 'refresh' | 'validity';
  readonly from: string | null;
  readonly to: string;
  /** ISO 8601, on the agent's clock. */
  readonly at: string;
}

export interface RefreshMessage {
  readonly ok: boolean;
  readonly forced: boolean;
  readonly at: string;
  readonly licenseId: string | null;
  readonly tier: string;
  /** The failure's code, message and HTTP status; never a secret. */
  readonly error: { readonly code?: string; readonly message: string; readonly status?: number } | null;
}

const stateChannel = diagnostics_channel.channel(CHANNELS.state);
const refreshChannel = diagnostics_channel.channel(CHANNELS.refresh);

export function publishState(message: () => StateMessage): void {
  if (stateChannel.hasSubscribers) stateChannel.publish(message());
}

export function publishRefresh(message: () => RefreshMessage): void {
  if (refreshChannel.hasSubscribers) refreshChannel.publish(message());
}
