/**
 * The text exposition formats: a list of metric families in, OpenMetrics 1.0 or Prometheus 0.0.4
 * text out. Pure and dependency-free. The two forms differ in ways a scraper checks: OpenMetrics
 * names a counter's family without its `_total` (the samples carry it), an info family without its
 * `_info`, gives a `# UNIT`, escapes `"` in HELP, and ends with `# EOF`; the Prometheus form names
 * the `_total` metric in its TYPE line, has no info type (a gauge of value 1) and no UNIT or EOF.
 */

/**
 * The two exposition forms `agent.metrics()` writes: OpenMetrics 1.0 text, or the Prometheus text
 * format 0.0.4 that every Prometheus-compatible scraper reads.
 */
export type MetricsFormat = 'openmetrics' | 'prometheus';

/**
 * The `Content-Type` of each form, for the answer of a `/metrics` route.
 *
 * @example
 * const format = /application\/openmetrics-text/.test(request.headers.accept ?? '') ? 'openmetrics' : 'prometheus';
 * response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE[format] });
 * response.end(agent.metrics(format));
 */
export const METRICS_CONTENT_TYPE: Readonly<Record<MetricsFormat, string>> = Object.freeze({
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
});

/** The family types the agent uses; `info` is written as a gauge of value 1 in the Prometheus form. */
export type MetricType = 'gauge' | 'counter' | 'info';

/** One sample of a family: its labels (none for most) and its value. */
export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  /** A finite number: an absent value is no sample at all, never `NaN`. */
  readonly value: number;
}

/** A metric family: its metadata and its samples, in the order written. */
export interface MetricFamily {
  /**
   * The family's name in OpenMetrics: a counter's without `_total`, an info's without `_info`
   * (each sample adds the suffix), a gauge's as its samples are named.
   */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** The unit, which the name ends with (`_seconds`); OpenMetrics only writes it. */
  readonly unit?: string;
  /** No samples: the family is left out (metadata without a value tells a scraper nothing). */
  readonly samples: readonly MetricSample[];
}

/** The suffix each sample name adds to its family's name. */
const SAMPLE_SUFFIX: Readonly<Record<MetricType, string>> = { gauge: '', counter: '_total', info: '_info' };

/** Label values: backslash, double quote and line feed escaped, the same in both forms. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: OpenMetrics escapes `"` as a label value does; the Prometheus form only `\` and LF. */
function escapeHelp(help: string, format: MetricsFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/** Shortest round-tripping decimal (`1733230000.123`, `1e+21`): valid in both forms' number grammar. */
function formatValue(value: number): string {
  return Object.is(value, -0) ? '0' : String(value);
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function renderFamily(family: MetricFamily, format: MetricsFormat): string[] {
  const sampleName = `${family.name}${SAMPLE_SUFFIX[family.type]}`;
  const samples = family.samples.map((sample) => `${sampleName}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  if (format === 'prometheus') {
    // Prometheus 0.0.4 has no info type; the metadata names the metric the samples carry.
    const type = family.type === 'info' ? 'gauge' : family.type;
    return [`# HELP ${sampleName} ${escapeHelp(family.help, format)}`, `# TYPE ${sampleName} ${type}`, ...samples];
  }
  const unit = family.unit === undefined ? [] : [`# UNIT ${family.name} ${family.unit}`];
  return [`# HELP ${family.name} ${escapeHelp(family.help, format)}`, `# TYPE ${family.name} ${family.type}`, ...unit, ...samples];
}

/** The exposition text of `families` in `format`, every line ended by a line feed. */
export function renderExposition(families: readonly MetricFamily[], format: MetricsFormat): string {
  const lines = families.filter((family) => family.samples.length > 0).flatMap((family) => renderFamily(family, format));
  if (format === 'openmetrics') lines.push('# EOF');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
