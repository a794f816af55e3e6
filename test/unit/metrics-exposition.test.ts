import { describe, expect, it } from 'vitest';
import { METRICS_CONTENT_TYPE, renderExposition, type MetricFamily } from '../../src/metrics/exposition.js';
import { scrape } from '../support/exposition.js';

const EXPIRY: MetricFamily = {
  name: 'app_expiry_timestamp_seconds',
  type: 'gauge',
  help: 'When it expires.',
  unit: 'seconds',
  samples: [{ value: 1_893_456_000.25 }],
};
const REQUESTS: MetricFamily = {
  name: 'app_requests',
  type: 'counter',
  help: 'Requests by outcome.',
  samples: [{ labels: { outcome: 'success' }, value: 3 }, { labels: { outcome: 'failure' }, value: 0 }],
};
const INFO: MetricFamily = { name: 'app', type: 'info', help: 'What runs.', samples: [{ labels: { tier: 'Pro' }, value: 1 }] };
const ABSENT: MetricFamily = { name: 'app_last_seconds', type: 'gauge', help: 'Never happened.', unit: 'seconds', samples: [] };

describe('renderExposition', () => {
  it('writes OpenMetrics: HELP, TYPE and UNIT, the counter family without _total, samples with it, # EOF last', () => {
    expect(renderExposition([EXPIRY, REQUESTS], 'openmetrics')).toBe([
      '# HELP app_expiry_timestamp_seconds When it expires.',
      '# TYPE app_expiry_timestamp_seconds gauge',
      '# UNIT app_expiry_timestamp_seconds seconds',
      'app_expiry_timestamp_seconds 1893456000.25',
      '# HELP app_requests Requests by outcome.',
      '# TYPE app_requests counter',
      'app_requests_total{outcome="success"} 3',
      'app_requests_total{outcome="failure"} 0',
      '# EOF',
      '',
    ].join('\n'));
  });

  it('writes the Prometheus form: the TYPE line names the _total metric, no UNIT, no EOF', () => {
    expect(renderExposition([EXPIRY, REQUESTS], 'prometheus')).toBe([
      '# HELP app_expiry_timestamp_seconds When it expires.',
      '# TYPE app_expiry_timestamp_seconds gauge',
      'app_expiry_timestamp_seconds 1893456000.25',
      '# HELP app_requests_total Requests by outcome.',
      '# TYPE app_requests_total counter',
      'app_requests_total{outcome="success"} 3',
      'app_requests_total{outcome="failure"} 0',
      '',
    ].join('\n'));
  });

  it('writes an info family as OpenMetrics info, and as a gauge named _info in the Prometheus form', () => {
    expect(renderExposition([INFO], 'openmetrics')).toBe('# HELP app What runs.\n# TYPE app info\napp_info{tier="Pro"} 1\n# EOF\n');
    expect(renderExposition([INFO], 'prometheus')).toBe('# HELP app_info What runs.\n# TYPE app_info gauge\napp_info{tier="Pro"} 1\n');
  });

  it('leaves out a family without samples, metadata included', () => {
    expect(renderExposition([ABSENT, INFO], 'openmetrics')).not.toContain('app_last_seconds');
    expect(renderExposition([ABSENT], 'openmetrics')).toBe('# EOF\n');
    expect(renderExposition([ABSENT], 'prometheus')).toBe('');
  });

  it('escapes backslash, double quote and line feed in label values so that a parser reads them back', () => {
    const tricky = 'C:\\dir "x"\nnext';
    const family: MetricFamily = { name: 'app', type: 'info', help: 'x', samples: [{ labels: { path: tricky }, value: 1 }] };

    const text = renderExposition([family], 'prometheus');

    expect(text).toContain('app_info{path="C:\\\\dir \\"x\\"\\nnext"} 1');
    for (const format of ['openmetrics', 'prometheus'] as const) {
      expect(scrape(renderExposition([family], format), format).get('app_info')?.samples[0]?.labels).toEqual({ path: tricky });
    }
  });

  it('escapes HELP per form: backslash and line feed in both, the double quote in OpenMetrics only', () => {
    const family: MetricFamily = { name: 'app_up', type: 'gauge', help: 'a "b" \\ c\nd', samples: [{ value: 1 }] };

    expect(renderExposition([family], 'openmetrics')).toContain('# HELP app_up a \\"b\\" \\\\ c\\nd\n');
    expect(renderExposition([family], 'prometheus')).toContain('# HELP app_up a "b" \\\\ c\\nd\n');
    expect(scrape(renderExposition([family], 'prometheus'), 'prometheus').get('app_up')?.help).toBe('a "b" \\ c\nd');
  });

  it('writes numbers a parser reads back exactly: fractional seconds, negatives, large and small', () => {
    const values = [1_733_230_000.123, -1.5, 0, 1e21, 2.5e-7];
    const family: MetricFamily = { name: 'app_n', type: 'gauge', help: 'n', samples: values.map((value, i) => ({ labels: { i: String(i) }, value })) };

    for (const format of ['openmetrics', 'prometheus'] as const) {
      const parsed = scrape(renderExposition([family], format), format).get('app_n');
      expect(parsed?.samples.map((sample) => sample.value)).toEqual(values);
    }
  });

  it('names the content type of each form', () => {
    expect(METRICS_CONTENT_TYPE).toEqual({
      openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
      prometheus: 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
});
