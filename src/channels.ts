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

/**
 * The names of the `node:diagnostics_channel` channels: the server publishes its usage on the first
 * four, the agent publishes its transitions and refresh results on the last two.
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import { CHANNELS, type RefreshMessage } from 'softclient4es-license';
 *
 * diagnostics_channel.channel(CHANNELS.join).publish({ count: 2 });
 * diagnostics_channel.subscribe(CHANNELS.refresh, (message) => {
 *   const { ok, tier } = message as RefreshMessage;
 *   console.log(`license refresh ${ok ? 'ok' : 'failed'} (${tier})`);
 * });
 * ```
 */
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
  /** How many; 1 when absent. */
  readonly count?: number;
}

/** `softclient4es:materialized-views` and `softclient4es:clusters`: the current number. */
export interface GaugeMessage {
  /** How many there are now (not a change). */
  readonly count: number;
}

/** `softclient4es-license:state`: one region of the statechart moved from one state to another. */
export interface StateMessage {
  /** Which region: `refresh` (what the agent does) or `validity` (where the license stands). */
  readonly region: 'refresh' | 'validity';
  /** The state it left, named as `to` is; `null` for the first state after `start()`. */
  readonly from: string | null;
  /** The state it entered, nested ones as dotted paths: `scheduled`, `firstLicense.retryWait`; `valid.withinWeek`, `grace.early`. */
  readonly to: string;
  /** ISO 8601, on the agent's clock. */
  readonly at: string;
}

/** `softclient4es-license:refresh`: a refresh attempt ended, with or without a license. */
export interface RefreshMessage {
  /** Whether it brought a license. */
  readonly ok: boolean;
  /** Whether it was forced by the 48-hour expiry threshold rather than the regular tick, a retry or a request. */
  readonly forced: boolean;
  /** When it ended: ISO 8601, on the agent's clock. */
  readonly at: string;
  /** The id of the license in force afterwards; `null` with none. */
  readonly licenseId: string | null;
  /** The tier in force afterwards. */
  readonly tier: string;
  /** The failure's code, message and HTTP status; never a secret. `null` when it succeeded. */
  readonly error: {
    /** The `ERR_LICENSE_*` code, when the failure has one. */
    readonly code?: string;
    /** What went wrong, redacted. */
    readonly message: string;
    /** The HTTP status, when the server answered. */
    readonly status?: number;
  } | null;
}

const stateChannel = diagnostics_channel.channel(CHANNELS.state);
const refreshChannel = diagnostics_channel.channel(CHANNELS.refresh);

/** Publishes a state change, building the message only when someone listens. */
export function publishState(message: () => StateMessage): void {
  if (stateChannel.hasSubscribers) stateChannel.publish(message());
}

/** Publishes a refresh result, building the message only when someone listens. */
export function publishRefresh(message: () => RefreshMessage): void {
  if (refreshChannel.hasSubscribers) refreshChannel.publish(message());
}
