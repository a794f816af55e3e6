/**
 * Which facts each agent's metrics are read from. The facade links itself here when it is built;
 * `agent.metrics()` and the prom-client adapter read through the link, so that neither needs a
 * public accessor on the agent beyond `metrics()` itself. A WeakMap: a dropped agent is collected.
 */
import { renderExposition, type MetricFamily, type MetricsFormat } from './exposition.js';
import { licenseMetricFamilies, type LicenseMetricFacts } from './license-metrics.js';

export type { MetricsFormat } from './exposition.js';

const sources = new WeakMap<object, () => LicenseMetricFacts>();

/** Called once by the facade's constructor: `facts` is read at each scrape, never cached. */
export function linkLicenseMetrics(agent: object, facts: () => LicenseMetricFacts): void {
  sources.set(agent, facts);
}

/** The agent's metric families now; a `TypeError` for anything that is not a `LicenseAgent`. */
export function licenseMetricFamiliesOf(agent: object): MetricFamily[] {
  const facts = sources.get(agent);
  if (!facts) throw new TypeError('not a LicenseAgent: create one with createLicenseAgent()');
  return licenseMetricFamilies(facts());
}

/** The agent's metrics as exposition text in `format`; a `TypeError` for a format it does not write. */
export function licenseMetricsText(agent: object, format: MetricsFormat): string {
  if (format !== 'openmetrics' && format !== 'prometheus') throw new TypeError(`unknown metrics format: ${String(format)}`);
  return renderExposition(licenseMetricFamiliesOf(agent), format);
}
