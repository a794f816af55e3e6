/**
 * `agent.metrics()`: every series, in both forms, read back by a real parser of the format. Static
 * licenses with no `refresh_url` on a simulated clock, so that nothing goes on the network and
 * every value is exact; refreshes against a real license server are in test/e2e/metrics.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLicenseAgent, type LicenseAgent, type LicenseAgentOptions } from '../../src/index.js';
import { generateIssuerKeys, mintLicense, type IssuerKeys, type LicenseTemplate } from '../../src/issuer/index.js';
import { SteppingClock, T0 } from '../support/clocks.js';
import { scrape, valueOf, type ScrapeFormat } from '../support/exposition.js';
import { captureLogs } from '../support/logs.js';

const DAY_S = 86_400;
const FORMATS: readonly ScrapeFormat[] = ['openmetrics', 'prometheus'];
const TIMESTAMPS = [
  'softclient4es_license_expiry_timestamp_seconds',
  'softclient4es_license_grace_remaining_seconds',
  'softclient4es_license_refresh_last_success_timestamp_seconds',
  'softclient4es_license_refresh_last_attempt_timestamp_seconds',
  'softclient4es_license_clock_offset_seconds',
];

let keys: IssuerKeys;
let stateDir: string;
const agents: LicenseAgent[] = [];

beforeAll(async () => {
  keys = await generateIssuerKeys();
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-metrics-'));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function agentWith(options: Partial<LicenseAgentOptions> = {}): LicenseAgent {
  const agent = createLicenseAgent({
    version: '1.2.3',
    env: {},
    stateDir,
    trustedKeys: keys.jwks,
    gracePeriod: '14d',
    logger: captureLogs('silent').logger,
    clock: new SteppingClock(T0),
    random: () => 0,
    ...options,
  });
  agents.push(agent);
  return agent;
}

/** A static license (no refresh_url: no network) expiring `expiresInDays` after T0. */
function staticLicense(expiresInDays: number, template: Partial<LicenseTemplate> = {}): Promise<string> {
  const exp = T0 / 1000 + expiresInDays * DAY_S;
  return mintLicense(keys, { sub: 'lic-metrics', tier: 'Enterprise', exp, iat: Math.min(T0 / 1000, exp) - 30 * DAY_S, ...template }, { now: T0 });
}

describe('agent.metrics()', () => {
  it.each(FORMATS)('exposes every series of a static license with its type, unit, labels and value (%s)', async (format) => {
    const agent = agentWith({ licenseKey: await staticLicense(10, { platform: 'staging "eu" \\ 1' }) });
    await agent.start();

    const series = scrape(agent.metrics(format), format);

    const unit = format === 'openmetrics' ? 'seconds' : undefined;
    expect(series.get('softclient4es_license_expiry_timestamp_seconds')).toMatchObject({ type: 'gauge', unit, samples: [{ labels: {}, value: T0 / 1000 + 10 * DAY_S }] });
    // Ten days to expiry, then the fourteen of grace.
    expect(series.get('softclient4es_license_grace_remaining_seconds')).toMatchObject({ type: 'gauge', unit, samples: [{ value: 24 * DAY_S }] });
    expect(series.get('softclient4es_license_refresh_consecutive_failures')).toMatchObject({ type: 'gauge', unit: undefined, samples: [{ value: 0 }] });
    expect(series.get('softclient4es_license_refresh_requests_total')).toMatchObject({
      family: format === 'openmetrics' ? 'softclient4es_license_refresh_requests' : 'softclient4es_license_refresh_requests_total',
      type: 'counter',
      samples: [{ labels: { outcome: 'success' }, value: 0 }, { labels: { outcome: 'failure' }, value: 0 }],
    });
    expect(series.get('softclient4es_license_info')).toMatchObject({
      family: format === 'openmetrics' ? 'softclient4es_license' : 'softclient4es_license_info',
      type: format === 'openmetrics' ? 'info' : 'gauge',
      samples: [{ labels: { tier: 'Enterprise', platform: 'STAGING "EU" \\ 1', mode: 'static-jwt', license_id: 'lic-metrics' }, value: 1 }],
    });
    expect(series.get('softclient4es_license_degraded')).toMatchObject({ type: 'gauge', samples: [{ value: 0 }] });
    expect(series.get('softclient4es_telemetry_enabled')).toMatchObject({ type: 'gauge', samples: [{ value: 1 }] });
    for (const each of series.values()) expect(each.help).not.toBe('');
    // Never refreshed, never attempted, never heard from a license server: no sample, not a 0.
    expect([...series.keys()].sort()).toEqual([
      'softclient4es_license_expiry_timestamp_seconds',
      'softclient4es_license_grace_remaining_seconds',
      'softclient4es_license_info',
      'softclient4es_license_degraded',
      'softclient4es_license_refresh_consecutive_failures',
      'softclient4es_license_refresh_requests_total',
      'softclient4es_telemetry_enabled',
    ].sort());
  });

  it('defaults to OpenMetrics and refuses a format it does not write', async () => {
    const agent = agentWith();

    expect(agent.metrics()).toBe(agent.metrics('openmetrics'));
    expect(agent.metrics()).toMatch(/# EOF\n$/);
    expect(() => agent.metrics('json' as 'prometheus')).toThrow(TypeError);
  });

  it.each(FORMATS)('a Community agent with no license: no expiry, no grace, never refreshed, at every stage of its life (%s)', async (format) => {
    const agent = agentWith();
    const before = scrape(agent.metrics(format), format);
    await agent.start();
    const running = scrape(agent.metrics(format), format);
    await agent.stop();
    const stopped = scrape(agent.metrics(format), format);

    for (const series of [before, running, stopped]) {
      for (const name of TIMESTAMPS) expect(series.has(name), name).toBe(false);
      expect(series.get('softclient4es_license_info')?.samples).toEqual([{ labels: { tier: 'Community', platform: 'PRODUCTION', mode: 'community', license_id: '' }, value: 1 }]);
      expect(valueOf(series, 'softclient4es_license_degraded')).toBe(0);
    }
    // Before start nothing is counted yet; once running, both outcomes are there from 0.
    expect(before.has('softclient4es_license_refresh_requests_total')).toBe(false);
    expect(before.has('softclient4es_license_refresh_consecutive_failures')).toBe(false);
    for (const series of [running, stopped]) {
      expect(series.get('softclient4es_license_refresh_requests_total')?.samples).toEqual([
        { labels: { outcome: 'success' }, value: 0 },
        { labels: { outcome: 'failure' }, value: 0 },
      ]);
      expect(valueOf(series, 'softclient4es_license_refresh_consecutive_failures')).toBe(0);
    }
  });

  it('keeps the lapsed expiry and a grace of 0 once degraded, the tier Community and the license id the lapsed one', async () => {
    const agent = agentWith({ licenseKey: await staticLicense(-20, { sub: 'lic-lapsed', tier: 'Pro' }) });
    await agent.start();

    const series = scrape(agent.metrics('prometheus'), 'prometheus');

    expect(agent.status().validity).toBe('degraded');
    expect(valueOf(series, 'softclient4es_license_degraded')).toBe(1);
    expect(valueOf(series, 'softclient4es_license_expiry_timestamp_seconds')).toBe(T0 / 1000 - 20 * DAY_S);
    expect(valueOf(series, 'softclient4es_license_grace_remaining_seconds')).toBe(0);
    expect(series.get('softclient4es_license_info')?.samples[0]?.labels).toMatchObject({ tier: 'Community', license_id: 'lic-lapsed' });
  });

  it('reads the grace left at each scrape, from the clock', async () => {
    const clock = new SteppingClock(T0);
    const agent = agentWith({ clock, licenseKey: await staticLicense(-3) });
    await agent.start();
    const first = valueOf(scrape(agent.metrics(), 'openmetrics'), 'softclient4es_license_grace_remaining_seconds');
    clock.set(T0 + 1500);

    const later = valueOf(scrape(agent.metrics(), 'openmetrics'), 'softclient4es_license_grace_remaining_seconds');

    expect(first).toBe(11 * DAY_S);
    expect(later).toBe(11 * DAY_S - 1.5);
  });

  it('says 0 for telemetry when it is off', async () => {
    const agent = agentWith({ telemetry: { enabled: false } });

    expect(valueOf(scrape(agent.metrics('prometheus'), 'prometheus'), 'softclient4es_telemetry_enabled')).toBe(0);
  });
});
