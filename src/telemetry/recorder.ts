/**
 * The recorder behind `agent.telemetry`, made by the telemetry actor with its context and never
 * replaced. It holds the tally the hot path increments in place, and passes gauges on to the actor
 * as `usage.gauge` events while the actor runs.
 *
 * A gauge set while the actor does not run (before `start()`, after `stop()`) waits in its slot here
 * and counts in every snapshot meanwhile. XState would queue an event sent before start, but an
 * actor stopped before it ever started drops events with a console warning, and from outside it
 * cannot be told apart from one not yet started: so nothing is sent unless the actor runs.
 */
import { GAUGES, usageSnapshot, type Gauge, type Gauges, type UsageCounters, type UsageSnapshot, type UsageTally } from './counters.js';

/** A gauge set by the server: the event that changes the actor's gauges. */
export interface UsageGaugeEvent {
  readonly type: 'usage.gauge';
  readonly gauge: Gauge;
  readonly value: number;
}

/** The telemetry actor as the recorder sees it: where gauge events go, and the gauges it holds. */
export interface GaugeHolder {
  send(event: UsageGaugeEvent): void;
  gauges(): Gauges;
}

export class UsageRecorder implements UsageCounters, UsageTally {
  // The tally lives in the recorder's own fields, so that recording a query is one increment on the
  // object the server calls: the one deliberate exception to "the actor's state changes through
  // events". An actor `send` costs microseconds and allocates; a query must cost a nanosecond.
  #queries = 0;
  #joins = 0;
  /** Gauges set and not yet delivered to the actor; `undefined` for an empty slot. */
  readonly #pending: Record<Gauge, number | undefined> = { mvs_active: undefined, clusters_connected: undefined };
  readonly #actor: GaugeHolder;
  #open = false;

  constructor(actor: GaugeHolder) {
    this.#actor = actor;
  }

  recordQuery(): void {
    this.#queries++;
  }

  recordJoin(): void {
    this.#joins++;
  }

  recordQueries(count: number): void {
    this.#queries += count;
  }

  recordJoins(count: number): void {
    this.#joins += count;
  }

  setMaterializedViews(count: number): void {
    this.#setGauge('mvs_active', count);
  }

  setClustersConnected(count: number): void {
    this.#setGauge('clusters_connected', count);
  }

  snapshot(): UsageSnapshot {
    return usageSnapshot(this, this.gauges());
  }

  get queries(): number {
    return this.#queries;
  }

  get joins(): number {
    return this.#joins;
  }

  get materializedViews(): number {
    return this.#pending.mvs_active ?? this.#actor.gauges().mvs_active;
  }

  get clusters(): number {
    return this.#pending.clusters_connected ?? this.#actor.gauges().clusters_connected;
  }

  /** The gauges as the server last set them: the actor's, unless a newer one waits in its slot. */
  gauges(): Gauges {
    return { mvs_active: this.materializedViews, clusters_connected: this.clusters };
  }

  /** The actor runs: deliver what waited, and from now on each gauge as it comes. */
  open(): void {
    this.#open = true;
    this.#deliver();
  }

  /** The actor stops: gauges wait in their slots again, and no event goes to a stopped actor. */
  close(): void {
    this.#open = false;
  }

  // A server may set a gauge in a loop (the benchmark does). Only a value landing in an empty slot
  // queues a delivery, one microtask later, of the latest values: the call stays a test and a field
  // write, allocates nothing, and the actor holds the latest value before the next macrotask.
  #setGauge(gauge: Gauge, value: number): void {
    if (this.#pending[gauge] === undefined) this.#queueDelivery();
    this.#pending[gauge] = value;
  }

  // Apart from #setGauge, so that the call a server makes stays small enough to be inlined.
  #queueDelivery(): void {
    if (this.#open) queueMicrotask(this.#deliver);
  }

  readonly #deliver = (): void => {
    if (!this.#open) return;
    for (const gauge of GAUGES) {
      const value = this.#pending[gauge];
      if (value === undefined) continue;
      this.#pending[gauge] = undefined;
      this.#actor.send({ type: 'usage.gauge', gauge, value });
    }
  };
}
