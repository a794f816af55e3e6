/**
 * `agent.metrics()` against a real reference license server on 127.0.0.1: what a successful fetch,
 * failing refreshes and a recovery leave in every refresh series, and the license server's clock
 * offset from its `Date` header. Each scrape is read back by a real parser of the format.
 */
import { describe, expect, it } from 'vitest';
import { decodeLicenseClaims, type LicenseTemplate } from '../../src/issuer/index.js';
import { scrape, valueOf, type ScrapedSeries } from '../support/exposition.js';
import { readCache, useE2E, waitFor } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_metrics_key_5e1a';
const PRO: LicenseTemplate = { sub: 'lic-metrics', tier: 'Pro', features: ['federation'] };
const HOUR_S = 3_600;
const DAY_S = 86_400;

function read(agent: { metrics(format?: 'openmetrics' | 'prometheus'): string }): Map<string, ScrapedSeries> {
  const openMetrics = scrape(agent.metrics('openmetrics'), 'openmetrics');
  // Both forms carry the same samples; only their metadata differs (and the grace left, read from
  // the clock at each scrape, by the milliseconds between the two).
  const prometheus = scrape(agent.metrics('prometheus'), 'prometheus');
  expect([...prometheus.keys()]).toEqual([...openMetrics.keys()]);
  for (const [name, series] of openMetrics) {
    if (name === 'softclient4es_license_grace_remaining_seconds') {
      expect((valueOf(openMetrics, name) as number) - (valueOf(prometheus, name) as number)).toBeLessThan(1);
    } else {
      expect(prometheus.get(name)?.samples, name).toEqual(series.samples);
    }
  }
  return openMetrics;
}

function requests(series: Map<string, ScrapedSeries>): Record<string, number> {
  const samples = series.get('softclient4es_license_refresh_requests_total')?.samples ?? [];
  return Object.fromEntries(samples.map((sample): [string, number] => [String(sample.labels['outcome']), sample.value]));
}

async function startAgent(serverOptions: { now?: () => number } = {}) {
  const server = await e2e.server({ apiKeys: { [API_KEY]: PRO }, ...serverOptions });
  const stateDir = await e2e.tempDir();
  const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir, trustedKeys: server.keys.jwks, random: () => 0, gracePeriod: '14d' });
  const startedAt = Date.now() / 1000;
  await agent.start();
  return { server, stateDir, agent, startedAt, fetchedAt: Date.now() / 1000 };
}

describe('agent.metrics() against a license server', () => {
  it('tells of the first license fetched: its expiry, the success, and the offset of a server on the same clock', async () => {
    const { agent, stateDir, startedAt, fetchedAt } = await startAgent();

    const series = read(agent);

    // The cache is written after the license is adopted: the JWT the server issued, read independently.
    const { jwt } = await waitFor(() => readCache(stateDir), 2_000, 'the license cache');
    const exp = decodeLicenseClaims(jwt).exp as number;
    expect(valueOf(series, 'softclient4es_license_expiry_timestamp_seconds')).toBe(exp);
    const graceLeft = valueOf(series, 'softclient4es_license_grace_remaining_seconds') as number;
    expect(Math.abs(graceLeft - (exp + 14 * DAY_S - Date.now() / 1000))).toBeLessThan(2);
    const lastSuccess = valueOf(series, 'softclient4es_license_refresh_last_success_timestamp_seconds') as number;
    expect(lastSuccess).toBeGreaterThanOrEqual(startedAt);
    expect(lastSuccess).toBeLessThanOrEqual(fetchedAt);
    expect(valueOf(series, 'softclient4es_license_refresh_last_attempt_timestamp_seconds')).toBe(lastSuccess);
    expect(valueOf(series, 'softclient4es_license_refresh_consecutive_failures')).toBe(0);
    expect(requests(series)).toEqual({ success: 1, failure: 0 });
    // The Date header has whole seconds: the offset of a server on our clock is under a second or so.
    expect(Math.abs(valueOf(series, 'softclient4es_license_clock_offset_seconds') as number)).toBeLessThan(1.5);
    expect(series.get('softclient4es_license_info')?.samples[0]?.labels).toEqual({ tier: 'Pro', platform: 'PRODUCTION', mode: 'api-key', license_id: 'lic-metrics' });
  });

  it('counts failures while the server answers 503, keeps the last success, and resets the run on recovery', async () => {
    const { server, agent } = await startAgent();
    const lastSuccess = valueOf(read(agent), 'softclient4es_license_refresh_last_success_timestamp_seconds') as number;
    server.respondWith(() => ({ status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"maintenance"}' }));

    expect((await agent.refreshNow()).status).toBe('failed');
    expect((await agent.refreshNow()).status).toBe('failed');
    const failing = read(agent);

    expect(requests(failing)).toEqual({ success: 1, failure: 2 });
    expect(valueOf(failing, 'softclient4es_license_refresh_consecutive_failures')).toBe(2);
    expect(valueOf(failing, 'softclient4es_license_refresh_last_success_timestamp_seconds')).toBe(lastSuccess);
    expect(valueOf(failing, 'softclient4es_license_refresh_last_attempt_timestamp_seconds')).toBeGreaterThan(lastSuccess);
    expect(valueOf(failing, 'softclient4es_license_degraded')).toBe(0);

    server.respondWith(undefined);
    expect((await agent.refreshNow()).status).toBe('refreshed');
    const recovered = read(agent);

    expect(requests(recovered)).toEqual({ success: 2, failure: 2 });
    expect(valueOf(recovered, 'softclient4es_license_refresh_consecutive_failures')).toBe(0);
    expect(valueOf(recovered, 'softclient4es_license_refresh_last_success_timestamp_seconds')).toBeGreaterThan(lastSuccess);
  });

  it("reports a license server's clock an hour ahead of ours as an offset of +3600 s", async () => {
    const { agent } = await startAgent({ now: () => Date.now() + HOUR_S * 1000 });

    const offset = valueOf(read(agent), 'softclient4es_license_clock_offset_seconds') as number;

    expect(offset).toBeGreaterThan(HOUR_S - 1.5);
    expect(offset).toBeLessThan(HOUR_S + 1.5);
  });

  it('still answers after stop(), from what the agent knew', async () => {
    const { agent } = await startAgent();
    const running = read(agent);
    await agent.stop();

    const stopped = read(agent);

    expect(requests(stopped)).toEqual({ success: 1, failure: 0 });
    expect(valueOf(stopped, 'softclient4es_license_expiry_timestamp_seconds')).toBe(valueOf(running, 'softclient4es_license_expiry_timestamp_seconds'));
    expect(valueOf(stopped, 'softclient4es_license_refresh_last_success_timestamp_seconds')).toBe(valueOf(running, 'softclient4es_license_refresh_last_success_timestamp_seconds'));
  });
});
