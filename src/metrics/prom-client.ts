/**
 * The agent's series in a `prom-client` registry, beside the server's own metrics. prom-client is
 * not a dependency: the registry is typed by the little of it used here, so the package loads and
 * type-checks without it. Each series is registered as a metric object of prom-client's shape
 * (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`) read from the agent at each scrape.
 * prom-client's own `Gauge` would not do: one without labels always reports a value, 0 when never
 * set, and an absent fact must be no sample at all.
 */
import type { LicenseAgent } from '../agent/license-agent.js';
import { licenseMetricFamiliesOf } from './agent-metrics.js';
import type { MetricFamily } from './exposition.js';

/** One sample as prom-client's registry renders it. */
export interface PromClientMetricValue {
  /** The sample's value, in its series' unit: seconds, a count, or `1` / `0` for a yes-or-no fact. */
  readonly value: number;
  /** The sample's labels (`{ outcome: 'success' }`); `{}` for a series without any. */
  readonly labels: Readonly<Record<string, string>>;
}

/** What prom-client's registry reads from a metric at each scrape. */
export interface PromClientMetricSnapshot {
  /** The metric's name as the registry holds it (see {@link PromClientMetric.name}). */
  readonly name: string;
  /** The `# HELP` text: what the series means. */
  readonly help: string;
  /** `'counter'` for the refresh requests, `'gauge'` for the rest (the info series included). */
  readonly type: 'gauge' | 'counter';
  /** How a cluster's registry merges the workers' samples (see {@link PromClientMetric.aggregator}). */
  readonly aggregator: 'first' | 'sum';
  /** The samples of this scrape; empty when the fact is absent (no license, no refresh yet). */
  readonly values: PromClientMetricValue[];
}

/** A metric object as prom-client's `Registry.registerMetric` takes it. */
export interface PromClientMetric {
  /** Mutable: an OpenMetrics registry strips a counter's `_total` here and adds it to each sample. */
  name: string;
  /** The `# HELP` text, as in the README's Metrics. */
  readonly help: string;
  /** `'counter'` for the refresh requests, `'gauge'` for the rest: prom-client has no info type. */
  readonly type: 'gauge' | 'counter';
  /**
   * How prom-client's `AggregatorRegistry` merges a cluster's workers: `'sum'` for the counter,
   * `'first'` for the license facts, the same in every worker.
   */
  readonly aggregator: 'first' | 'sum';
  /** The series as the agent holds it now: called by the registry at each scrape. */
  get(): Promise<PromClientMetricSnapshot>;
  /** Does nothing: the values are the agent's facts, not counts a registry could clear. */
  reset(): void;
}

/**
 * The part of a prom-client `Registry` (v15, either content type) the adapter uses. prom-client
 * types `registerMetric` for its own metric classes, which a {@link PromClientMetric} is not, so
 * the parameter is typed to accept any registry's; at run time the registry reads only the fields
 * of {@link PromClientMetric}.
 */
export interface PromClientRegistry {
  /** Adds a metric to the registry; throws when one of that name is already registered. */
  registerMetric(metric: never): void;
}

/** The name prom-client knows a family by: the samples' names; an info family is a gauge there. */
function promName(family: MetricFamily): string {
  if (family.type === 'counter') return `${family.name}_total`;
  return family.type === 'info' ? `${family.name}_info` : family.name;
}

function promMetric(agent: object, family: MetricFamily): PromClientMetric {
  const type = family.type === 'counter' ? 'counter' : 'gauge';
  // Counters add up across the workers of a cluster; a license fact is the same in each.
  const aggregator = type === 'counter' ? 'sum' : 'first';
  const metric: PromClientMetric = {
    name: promName(family),
    help: family.help,
    type,
    aggregator,
    // Each metric reads the agent afresh: a scrape every few seconds costs ten small reads.
    async get() {
      const current = licenseMetricFamiliesOf(agent).find((each) => each.name === family.name);
      const values = (current?.samples ?? []).map((sample) => ({ value: sample.value, labels: { ...sample.labels } }));
      return { name: metric.name, help: family.help, type, aggregator, values };
    },
    // The values are the agent's facts, not counts of this registry's: nothing to reset.
    reset() {},
  };
  return metric;
}

/**
 * Registers the agent's series (the same as `agent.metrics()`: the README's Metrics) in an existing
 * prom-client registry, read from the agent at each scrape. prom-client writes no `# UNIT` lines;
 * `softclient4es_license_info` is a gauge of value 1 there. Call it once per registry: a second
 * call throws prom-client's "already been registered".
 *
 * @example
 * import { Registry, collectDefaultMetrics } from 'prom-client';
 * import { createLicenseAgent, registerLicenseMetrics } from 'softclient4es-license';
 *
 * const registry = new Registry();
 * collectDefaultMetrics({ register: registry });
 * const agent = createLicenseAgent({ version: '1.2.3' });
 * registerLicenseMetrics(agent, registry);
 * await agent.start();
 * // in the /metrics route:
 * response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
 */
export function registerLicenseMetrics(agent: LicenseAgent, registry: PromClientRegistry): void {
  const register = registry.registerMetric as (metric: PromClientMetric) => void;
  for (const family of licenseMetricFamiliesOf(agent)) register.call(registry, promMetric(agent, family));
}
