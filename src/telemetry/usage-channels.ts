/**
 * The server → agent usage channels (`CHANNELS.query`, `join`, `materializedViews`, `clusters`),
 * fed into the recorder while the telemetry actor runs. A message goes through the same calls as the
 * server's own: a count is added to the tally in place, a gauge becomes an event. Counts take the
 * direct way because a server may publish one message per query, which makes the channel as hot as
 * `recordQuery()`: an event per message would put an actor `send` on the server's hot path.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type CountMessage, type GaugeMessage } from '../channels.js';
import type { UsageCounters } from './counters.js';

/** A missing, malformed or non-positive count means one: the message itself says something happened. */
function countOf(message: unknown): number {
  const count = (message as CountMessage | null | undefined)?.count;
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
}

/** A gauge message without a usable number says nothing, and changes nothing. */
function gaugeOf(message: unknown): number | undefined {
  const count = (message as GaugeMessage | null | undefined)?.count;
  return typeof count === 'number' && Number.isFinite(count) ? count : undefined;
}

/** Feeds the usage channels into `counters`; returns the function that unsubscribes. */
export function subscribeUsage(counters: UsageCounters): () => void {
  const handlers: Array<[string, (message: unknown) => void]> = [
    [CHANNELS.query, (message) => counters.recordQueries(countOf(message))],
    [CHANNELS.join, (message) => counters.recordJoins(countOf(message))],
    [CHANNELS.materializedViews, (message) => {
      const count = gaugeOf(message);
      if (count !== undefined) counters.setMaterializedViews(count);
    }],
    [CHANNELS.clusters, (message) => {
      const count = gaugeOf(message);
      if (count !== undefined) counters.setClustersConnected(count);
    }],
  ];
  for (const [name, handler] of handlers) diagnostics_channel.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) diagnostics_channel.unsubscribe(name, handler);
  };
}
