/**
 * The telemetry actor: it owns the usage counters for the life of the agent and reports a snapshot
 * of them when a refresh body is built. The counters are written in place by the hot path; the
 * actor never receives an event per query (an actor `send` costs microseconds, an increment a
 * nanosecond).
 */
import { createActor, fromTransition, type Actor } from 'xstate';
import { UsageCounters, type UsageSnapshot } from './counters.js';

/** `telemetry.reset`: the only event, for a server that wants to start counting afresh. */
export type TelemetryEvent = { type: 'telemetry.reset' };

export const telemetryLogic = fromTransition(
  (counters: UsageCounters, event: TelemetryEvent) => {
    if (event.type === 'telemetry.reset') {
      counters.queries = 0;
      counters.joins = 0;
    }
    return counters;
  },
  () => new UsageCounters(),
);

export type TelemetryActor = Actor<typeof telemetryLogic>;

export function createTelemetryActor(): TelemetryActor {
  return createActor(telemetryLogic, { systemId: 'telemetry' });
}

/** The counters the actor owns: what `agent.telemetry` hands to the server. */
export function countersOf(actor: TelemetryActor): UsageCounters {
  return actor.getSnapshot().context;
}

/** The snapshot that goes into a refresh body. */
export function reportUsage(actor: TelemetryActor): UsageSnapshot {
  return countersOf(actor).snapshot();
}
