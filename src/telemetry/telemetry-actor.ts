/**
 * The telemetry actor: it owns the usage figures for the life of the agent and reports a snapshot
 * of them when a refresh body is built. It makes the recorder (`agent.telemetry`, whose tally the
 * hot path increments in place), holds the gauges (changed by `usage.gauge` events only), and listens
 * to the usage channels exactly while it runs: the invoked `feedUsage` subscribes when the actor
 * starts and unsubscribes when it stops.
 */
import { assign, createActor, fromCallback, setup, type Actor, type EventObject } from 'xstate';
import type { Gauges, UsageCounters, UsageSnapshot } from './counters.js';
import { UsageRecorder, type UsageGaugeEvent } from './recorder.js';
import { subscribeUsage } from './usage-channels.js';

export type TelemetryEvent = UsageGaugeEvent;

export interface TelemetryContext {
  /**
   * `agent.telemetry`, and the tally of queries and joins it increments in place. Made with the
   * actor's first context, so that it exists (and records) before `start()`; never replaced.
   */
  readonly recorder: UsageRecorder;
  readonly gauges: Gauges;
}

export const telemetryMachine = setup({
  // setup() infers the machine's types from this cast: without it, `{}` would fit and type nothing.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  types: {} as { context: TelemetryContext; events: TelemetryEvent },
  actors: {
    // While the actor runs, the channels feed the recorder and the recorder sends gauges as events.
    feedUsage: fromCallback<EventObject, UsageRecorder>(({ input: recorder }) => {
      recorder.open();
      const unsubscribe = subscribeUsage(recorder);
      return () => {
        unsubscribe();
        recorder.close();
      };
    }),
  },
  actions: {
    setGauge: assign({
      gauges: ({ context, event }) => ({ ...context.gauges, [event.gauge]: event.value }),
    }),
  },
}).createMachine({
  id: 'telemetry',
  context: ({ self }) => {
    const recorder = new UsageRecorder({
      send: (event) => self.send(event),
      gauges: () => self.getSnapshot().context.gauges,
    });
    return { recorder, gauges: { mvs_active: 0, clusters_connected: 0 } };
  },
  invoke: { id: 'usageFeed', src: 'feedUsage', input: ({ context }) => context.recorder },
  on: {
    'usage.gauge': { actions: 'setGauge' },
  },
});

export type TelemetryActor = Actor<typeof telemetryMachine>;

export function createTelemetryActor(): TelemetryActor {
  return createActor(telemetryMachine, { systemId: 'telemetry' });
}

/** The recording API the actor hands out: what `agent.telemetry` gives the server. */
export function countersOf(actor: TelemetryActor): UsageCounters {
  return actor.getSnapshot().context.recorder;
}

/** The snapshot that goes into a refresh body: the tally, and the gauges as last set. */
export function reportUsage(actor: TelemetryActor): UsageSnapshot {
  return actor.getSnapshot().context.recorder.snapshot();
}
