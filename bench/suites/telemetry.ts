/**
 * Benchmark 1, the telemetry hot path: `agent.telemetry.recordQuery()` and
 * `agent.telemetry.setMaterializedViews(n)` on a started agent, against what a server would use
 * instead, in the same process: a bare closure variable, a method on a plain object, prom-client,
 * OpenTelemetry (SDK meter with a reader attached, so that it really aggregates), and an XState
 * actor receiving one event per query. Every contender has its own loop function, so each call
 * site stays monomorphic, and returns a figure derived from what it did, checked at the end.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import promClient from 'prom-client';
import { assign, createActor, createMachine } from 'xstate';
import { createLicenseAgent, type LicenseAgent } from '../.build/src/index.js';
import { silentLogger, tempDir, VERSION } from '../lib/fixtures.js';
import { allocatesNothing, measureAllocation, timeInterleaved, type Allocation, type Contender, type Timing } from '../lib/micro.js';
import { row, type Row } from '../lib/report.js';
import { formatBytes, formatDuration, formatRatio } from '../lib/stats.js';
import { progress, runSuite } from '../lib/suite.js';

const FAST_CALLS = 10_000_000;
const OTEL_CALLS = 1_000_000;
const ACTOR_CALLS = 50_000;
const WARMUP = 3;
const ROUNDS = 15;

/** A pull reader that is never collected between scrapes: the SDK aggregates, nothing exports. */
class IdleReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

class PlainCounters {
  queries = 0;
  views = 0;
  recordQuery(): void {
    this.queries++;
  }
  setViews(count: number): void {
    this.views = count;
  }
}

function makeBare() {
  let queries = 0;
  let views = 0;
  return {
    count(calls: number): number {
      for (let i = 0; i < calls; i++) queries++;
      return queries;
    },
    gauge(calls: number): number {
      for (let i = 0; i < calls; i++) views = i & 1023;
      return views;
    },
  };
}

// One loop per contender (never a shared `run(fn)`): a shared call site would turn megamorphic and
// slow every contender down alike, hiding the differences we are here to see.
function oursCount(agent: LicenseAgent, calls: number): number {
  for (let i = 0; i < calls; i++) agent.telemetry.recordQuery();
  return agent.telemetry.queries;
}
function oursGauge(agent: LicenseAgent, calls: number): number {
  for (let i = 0; i < calls; i++) agent.telemetry.setMaterializedViews(i & 1023);
  return agent.telemetry.materializedViews;
}
function methodCount(counters: PlainCounters, calls: number): number {
  for (let i = 0; i < calls; i++) counters.recordQuery();
  return counters.queries;
}
function methodGauge(counters: PlainCounters, calls: number): number {
  for (let i = 0; i < calls; i++) counters.setViews(i & 1023);
  return counters.views;
}
function promCount(counter: promClient.Counter, calls: number): number {
  for (let i = 0; i < calls; i++) counter.inc();
  return calls;
}
function promGauge(gauge: promClient.Gauge, calls: number): number {
  for (let i = 0; i < calls; i++) gauge.set(i & 1023);
  return calls;
}
interface OtelCounter { add(value: number): void }
interface OtelGauge { record(value: number): void }
function otelCount(counter: OtelCounter, calls: number): number {
  for (let i = 0; i < calls; i++) counter.add(1);
  return calls;
}
function otelGauge(gauge: OtelGauge, calls: number): number {
  for (let i = 0; i < calls; i++) gauge.record(i & 1023);
  return calls;
}
interface Sendable { send(event: { type: 'QUERY' } | { type: 'SET'; value: number }): void; getSnapshot(): { context: { queries: number; views: number } } }
function actorCount(actor: Sendable, calls: number): number {
  for (let i = 0; i < calls; i++) actor.send({ type: 'QUERY' });
  return actor.getSnapshot().context.queries;
}
function actorGauge(actor: Sendable, calls: number): number {
  for (let i = 0; i < calls; i++) actor.send({ type: 'SET', value: i & 1023 });
  return actor.getSnapshot().context.views;
}

const usageMachine = createMachine({
  types: {} as { context: { queries: number; views: number }; events: { type: 'QUERY' } | { type: 'SET'; value: number } },
  context: { queries: 0, views: 0 },
  on: {
    QUERY: { actions: assign({ queries: ({ context }) => context.queries + 1 }) },
    SET: { actions: assign({ views: ({ event }) => event.value }) },
  },
});

function byName(timings: readonly Timing[], name: string): Timing {
  const found = timings.find((t) => t.name === name);
  if (!found) throw new Error(`no timing for ${name}`);
  return found;
}

function compare(kind: string, call: string, ours: Timing, base: Timing, baseLabel: string, target: { max: number; text: string } | null): Row {
  const ratio = ours.median / base.median;
  return row(1, `${kind}: ${call} vs ${baseLabel}`, {
    ours: formatDuration(ours.median / 1e6),
    baseline: formatDuration(base.median / 1e6),
    ratio: formatRatio(ratio),
    target: target?.text ?? '—',
    pass: target ? ratio <= target.max : null,
    values: { oursNs: ours.median, baselineNs: base.median, ratio },
  });
}

function allocationRow(kind: string, call: string, ours: Allocation, bare: Allocation): Row {
  return row(1, `${kind}: heap growth over ${ours.calls / 1e6} M ${call}`, {
    ours: `${formatBytes(ours.heapGrowthBytes)}, ${ours.collections} GC`,
    baseline: `${formatBytes(bare.heapGrowthBytes)}, ${bare.collections} GC`,
    ratio: '—',
    target: '0 B/call (no GC, < 64 KiB)',
    pass: allocatesNothing(ours),
    values: { oursBytes: ours.heapGrowthBytes, oursCollections: ours.collections, bareBytes: bare.heapGrowthBytes, bareCollections: bare.collections, oursBytesPerCall: ours.bytesPerCall },
  });
}

function rowsFor(kind: string, call: string, timings: readonly Timing[], ours: Allocation, bare: Allocation): Row[] {
  const mine = byName(timings, 'ours');
  return [
    compare(kind, call, mine, byName(timings, 'bare'), kind === 'counter' ? 'bare counter++' : 'bare assignment', { max: 2, text: '≤ 2×' }),
    compare(kind, call, mine, byName(timings, 'method'), 'method on a plain object', null),
    compare(kind, call, mine, byName(timings, 'prom'), kind === 'counter' ? 'prom-client inc()' : 'prom-client set()', { max: 1.1, text: '≤ 1.1×' }),
    compare(kind, call, mine, byName(timings, 'otel'), kind === 'counter' ? 'OpenTelemetry add(1)' : 'OpenTelemetry Gauge.record()', { max: 1 / 20, text: '≤ 0.05× (20× faster)' }),
    compare(kind, call, mine, byName(timings, 'actor'), 'XState actor.send()', { max: 1 / 1000, text: '≤ 0.001× (1,000× faster)' }),
    allocationRow(kind, call, ours, bare),
  ];
}

runSuite(async () => {
  const state = await tempDir('telemetry');
  const agent = createLicenseAgent({ version: VERSION, stateDir: state.dir, logger: silentLogger(), env: {} });
  await agent.start();
  if (agent.status().mode !== 'community') throw new Error('expected a Community-mode agent');

  const registry = new promClient.Registry();
  const promCounter = new promClient.Counter({ name: 'queries_total', help: 'queries', registers: [registry] });
  const promViews = new promClient.Gauge({ name: 'mvs_active', help: 'materialized views', registers: [registry] });
  const reader = new IdleReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('bench');
  const otelCounter = meter.createCounter('queries_total');
  const otelViews = meter.createGauge('mvs_active');
  const actor = createActor(usageMachine).start();
  const plain = new PlainCounters();
  const bare = makeBare();

  const counters: Contender[] = [
    { name: 'ours', calls: FAST_CALLS, run: (n) => oursCount(agent, n) },
    { name: 'bare', calls: FAST_CALLS, run: (n) => bare.count(n) },
    { name: 'method', calls: FAST_CALLS, run: (n) => methodCount(plain, n) },
    { name: 'prom', calls: FAST_CALLS, run: (n) => promCount(promCounter, n) },
    { name: 'otel', calls: OTEL_CALLS, run: (n) => otelCount(otelCounter, n) },
    { name: 'actor', calls: ACTOR_CALLS, run: (n) => actorCount(actor, n) },
  ];
  const gauges: Contender[] = [
    { name: 'ours', calls: FAST_CALLS, run: (n) => oursGauge(agent, n) },
    { name: 'bare', calls: FAST_CALLS, run: (n) => bare.gauge(n) },
    { name: 'method', calls: FAST_CALLS, run: (n) => methodGauge(plain, n) },
    { name: 'prom', calls: FAST_CALLS, run: (n) => promGauge(promViews, n) },
    { name: 'otel', calls: OTEL_CALLS, run: (n) => otelGauge(otelViews, n) },
    { name: 'actor', calls: ACTOR_CALLS, run: (n) => actorGauge(actor, n) },
  ];

  progress(`counters: ${WARMUP} warm-up + ${ROUNDS} rounds (10 M calls for ours, bare, method, prom-client; 1 M for OpenTelemetry; 50 k for actor.send)`);
  const counterTimings = timeInterleaved(counters, { warmup: WARMUP, rounds: ROUNDS });
  progress(`gauges: ${WARMUP} warm-up + ${ROUNDS} rounds`);
  const gaugeTimings = timeInterleaved(gauges, { warmup: WARMUP, rounds: ROUNDS });

  progress('allocation: 10 M calls each of recordQuery(), setMaterializedViews(), and the bare baselines');
  const allocation = {
    oursCount: await measureAllocation((n) => oursCount(agent, n), FAST_CALLS),
    bareCount: await measureAllocation((n) => bare.count(n), FAST_CALLS),
    oursGauge: await measureAllocation((n) => oursGauge(agent, n), FAST_CALLS),
    bareGauge: await measureAllocation((n) => bare.gauge(n), FAST_CALLS),
    otelCount: await measureAllocation((n) => otelCount(otelCounter, n), OTEL_CALLS),
    actorCount: await measureAllocation((n) => actorCount(actor, n), ACTOR_CALLS),
  };

  // The work was done, and counted: every contender's own tally must match the calls made.
  const oursCalls = FAST_CALLS * (WARMUP + ROUNDS + 1);
  if (agent.telemetry.queries !== oursCalls) throw new Error(`recordQuery counted ${agent.telemetry.queries}, expected ${oursCalls}`);
  const promTotal = (await promCounter.get()).values[0]?.value;
  if (promTotal !== FAST_CALLS * (WARMUP + ROUNDS)) throw new Error(`prom-client counted ${promTotal}`);
  const collected = await reader.collect();
  const otelPoint = collected.resourceMetrics.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === 'queries_total')?.dataPoints[0]?.value;
  if (otelPoint !== OTEL_CALLS * (WARMUP + ROUNDS + 1)) throw new Error(`OpenTelemetry counted ${JSON.stringify(otelPoint)}`);
  const actorTotal = actor.getSnapshot().context.queries;
  if (actorTotal !== ACTOR_CALLS * (WARMUP + ROUNDS + 1)) throw new Error(`the actor counted ${actorTotal}`);

  actor.stop();
  await provider.shutdown();
  await agent.stop();
  await state.remove();

  return {
    suite: 'telemetry',
    rows: [
      ...rowsFor('counter', 'recordQuery()', counterTimings, allocation.oursCount, allocation.bareCount),
      ...rowsFor('gauge', 'setMaterializedViews(n)', gaugeTimings, allocation.oursGauge, allocation.bareGauge),
    ],
    details: { counterTimings, gaugeTimings, allocation, tallies: { ours: agent.telemetry.queries, prom: promTotal, otel: otelPoint, actor: actorTotal } },
  };
});
