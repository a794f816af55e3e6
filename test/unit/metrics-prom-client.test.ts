/**
 * `registerLicenseMetrics`: the agent's series in a real prom-client registry, beside the server's
 * own, read back by a real parser of the format in both of prom-client's content types.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Counter, Registry, type RegistryContentType } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLicenseAgent, registerLicenseMetrics, type LicenseAgent } from '../../src/index.js';
import { generateIssuerKeys, mintLicense, type IssuerKeys } from '../../src/issuer/index.js';
import { SteppingClock, T0 } from '../support/clocks.js';
import { scrape, valueOf, type ScrapeFormat } from '../support/exposition.js';
import { captureLogs } from '../support/logs.js';

const DAY_S = 86_400;
const EXP = T0 / 1000 + 10 * DAY_S;

let keys: IssuerKeys;
let stateDir: string;
const agents: LicenseAgent[] = [];

beforeAll(async () => {
  keys = await generateIssuerKeys();
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-prom-client-'));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function startedAgent(clock = new SteppingClock(T0)): Promise<LicenseAgent> {
  const licenseKey = await mintLicense(keys, { sub: 'lic-prom', tier: 'Pro', exp: EXP, iat: EXP - 30 * DAY_S }, { now: T0 });
  const agent = createLicenseAgent({
    version: '1.2.3',
    env: {},
    stateDir,
    licenseKey,
    trustedKeys: keys.jwks,
    gracePeriod: '14d',
    logger: captureLogs('silent').logger,
    clock,
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** A registry of `format`'s content type, with one metric of the server's own. */
function serverRegistry(format: ScrapeFormat): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  if (format === 'openmetrics') registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  new Counter({ name: 'server_queries_total', help: 'Queries served.', registers: [registry] }).inc(7);
  return registry;
}

describe('registerLicenseMetrics', () => {
  it.each(['openmetrics', 'prometheus'] as const)('registers every series with its value in an existing registry (%s)', async (format) => {
    const agent = await startedAgent();
    const registry = serverRegistry(format);

    registerLicenseMetrics(agent, registry);
    const series = scrape(await registry.metrics(), format);

    expect(valueOf(series, 'server_queries_total')).toBe(7);
    expect(series.get('softclient4es_license_expiry_timestamp_seconds')).toMatchObject({ type: 'gauge', samples: [{ value: EXP }] });
    expect(valueOf(series, 'softclient4es_license_grace_remaining_seconds')).toBe(24 * DAY_S);
    expect(valueOf(series, 'softclient4es_license_refresh_consecutive_failures')).toBe(0);
    expect(series.get('softclient4es_license_refresh_requests_total')).toMatchObject({
      family: format === 'openmetrics' ? 'softclient4es_license_refresh_requests' : 'softclient4es_license_refresh_requests_total',
      type: 'counter',
      samples: [{ labels: { outcome: 'success' }, value: 0 }, { labels: { outcome: 'failure' }, value: 0 }],
    });
    expect(series.get('softclient4es_license_info')).toMatchObject({
      type: 'gauge',
      samples: [{ labels: { tier: 'Pro', platform: 'PRODUCTION', mode: 'static-jwt', license_id: 'lic-prom' }, value: 1 }],
    });
    expect(valueOf(series, 'softclient4es_license_degraded')).toBe(0);
    expect(valueOf(series, 'softclient4es_telemetry_enabled')).toBe(1);
    // Known to the registry, but with no sample while the agent does not have the fact.
    for (const name of [
      'softclient4es_license_refresh_last_success_timestamp_seconds',
      'softclient4es_license_refresh_last_attempt_timestamp_seconds',
      'softclient4es_license_clock_offset_seconds',
    ]) {
      expect(series.get(name)?.samples, name).toEqual([]);
    }
  });

  it('reads the agent at each scrape, not at registration', async () => {
    const clock = new SteppingClock(T0);
    const agent = await startedAgent(clock);
    const registry = serverRegistry('prometheus');
    registerLicenseMetrics(agent, registry);

    clock.set(T0 + 2_000);
    const series = scrape(await registry.metrics(), 'prometheus');

    expect(valueOf(series, 'softclient4es_license_grace_remaining_seconds')).toBe(24 * DAY_S - 2);
  });

  it('serves getMetricsAsJSON and survives resetMetrics, as prom-client registries are used', async () => {
    const agent = await startedAgent();
    const registry = serverRegistry('prometheus');
    registerLicenseMetrics(agent, registry);

    registry.resetMetrics();
    const json = await registry.getMetricsAsJSON();

    expect(json.find((metric) => metric.name === 'softclient4es_license_expiry_timestamp_seconds')?.values).toEqual([{ value: EXP, labels: {} }]);
    expect(valueOf(scrape(await registry.metrics(), 'prometheus'), 'softclient4es_license_expiry_timestamp_seconds')).toBe(EXP);
  });

  it('refuses a second registration in the same registry, as prom-client does for any metric', async () => {
    const agent = await startedAgent();
    const registry = serverRegistry('prometheus');
    registerLicenseMetrics(agent, registry);

    expect(() => registerLicenseMetrics(agent, registry)).toThrow(/already been registered/);
  });

  it('refuses an object that is not a LicenseAgent', () => {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the wrong object is the point of the test
    expect(() => registerLicenseMetrics({} as LicenseAgent, new Registry())).toThrow(TypeError);
  });
});
