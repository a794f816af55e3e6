/**
 * Reads a scrape as a scraper would, with a real parser of the text format from npm
 * (`parse-prometheus-text-format`, ported from the Prometheus Python client's parser): names,
 * HELP, TYPE, label values unescaped, values. That parser knows the Prometheus form only, so the
 * rules OpenMetrics adds are checked here on top of it: `# EOF` last and once, each `# UNIT` the
 * suffix of its family's name, and a counter's (or info's) family named without the `_total` (or
 * `_info`) its samples carry, which the parser reports as a family of metadata followed by an
 * untyped one of samples.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

export type ScrapeFormat = 'openmetrics' | 'prometheus';

export interface ScrapedSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric as the scraper stores it, under the name its samples carry. */
export interface ScrapedSeries {
  /** The family's name in the metadata (OpenMetrics: without `_total` or `_info`). */
  readonly family: string;
  /** As declared, lower case: `gauge`, `counter`, `info`, ... */
  readonly type: string;
  readonly help: string;
  /** The `# UNIT` (OpenMetrics only); `undefined` without one. */
  readonly unit: string | undefined;
  readonly samples: readonly ScrapedSample[];
}

const SUFFIX: Readonly<Record<string, string>> = { counter: '_total', info: '_info' };

function samplesOf(family: ParsedFamily): ScrapedSample[] {
  return family.metrics.map((sample) => {
    const value = Number(sample.value);
    if (sample.value === undefined || !Number.isFinite(value)) throw new Error(`${family.name}: not a finite value: ${String(sample.value)}`);
    if (sample.timestamp_ms !== undefined) throw new Error(`${family.name}: unexpected sample timestamp`);
    return { labels: { ...sample.labels }, value };
  });
}

/** The `# UNIT` lines, checked against the OpenMetrics rule that the name ends with `_<unit>`. */
function unitsOf(lines: readonly string[]): Map<string, string> {
  const units = new Map<string, string>();
  for (const line of lines.filter((each) => each.startsWith('# UNIT '))) {
    const [name = '', unit = '', ...rest] = line.slice('# UNIT '.length).split(' ');
    if (rest.length > 0 || !name.endsWith(`_${unit}`)) throw new Error(`bad UNIT line: ${line}`);
    units.set(name, unit);
  }
  return units;
}

function checkOpenMetricsFrame(text: string): string[] {
  if (!text.endsWith('# EOF\n')) throw new Error('OpenMetrics text must end with "# EOF" and a line feed');
  const lines = text.slice(0, -1).split('\n');
  if (lines.indexOf('# EOF') !== lines.length - 1) throw new Error('"# EOF" must appear once, last');
  if (lines.some((line) => line === '')) throw new Error('OpenMetrics text has no blank lines');
  return lines;
}

function checkPrometheusFrame(text: string): void {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a line feed');
  if (/^# (UNIT|EOF)\b/m.test(text)) throw new Error('no # UNIT or # EOF in the Prometheus text format');
}

/** Every series in `text`, by the name its samples carry; throws on anything a scraper would refuse. */
export function scrape(text: string, format: ScrapeFormat): Map<string, ScrapedSeries> {
  const units = format === 'openmetrics' ? unitsOf(checkOpenMetricsFrame(text)) : new Map<string, string>();
  if (format === 'prometheus') checkPrometheusFrame(text);
  const families = parsePrometheusTextFormat(text);
  const series = new Map<string, ScrapedSeries>();
  for (let i = 0; i < families.length; i++) {
    const family = families[i] as ParsedFamily;
    const type = family.type.toLowerCase();
    const suffix = format === 'openmetrics' ? SUFFIX[type] : undefined;
    let name = family.name;
    let samples = samplesOf(family);
    if (suffix !== undefined) {
      if (samples.length > 0) throw new Error(`${family.name}: OpenMetrics ${type} samples must be named ${family.name}${suffix}`);
      const next = families[i + 1];
      name = `${family.name}${suffix}`;
      if (next?.name === name) {
        if (next.type !== 'UNTYPED' || next.help !== '') throw new Error(`${name}: metadata of its own`);
        samples = samplesOf(next);
        i += 1;
      }
    }
    if (series.has(name)) throw new Error(`${name}: exposed twice`);
    series.set(name, { family: family.name, type, help: family.help, unit: units.get(family.name), samples });
  }
  return series;
}

/** The one unlabelled value of `name`, `undefined` when the series has no sample or is absent. */
export function valueOf(series: Map<string, ScrapedSeries>, name: string): number | undefined {
  const samples = series.get(name)?.samples ?? [];
  if (samples.length > 1) throw new Error(`${name}: ${samples.length} samples`);
  return samples[0]?.value;
}
