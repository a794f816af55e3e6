import { afterEach, describe, expect, it } from 'vitest';
import { buildRefreshRequestBody, buildTokenRequestBody, uptimeHours, type BodyFacts } from '../../src/telemetry/body.js';
import type { UsageCounters, UsageSnapshot } from '../../src/telemetry/counters.js';
import { countersOf, createTelemetryActor, type TelemetryActor } from '../../src/telemetry/telemetry-actor.js';

const USAGE: UsageSnapshot = { queries_total: 12, joins_total: 3, mvs_active: 2, clusters_connected: 1 };
const FACTS: BodyFacts = { instanceId: '0b7c6f3e-8d1f-4c4e-9a55-3c2d7e4b1a90', version: '1.2.3', uptimeMs: 5_400_000, usage: USAGE };

const running: TelemetryActor[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

/** The recorder of a running telemetry actor, as `agent.telemetry` hands it out. */
function runningCounters(): UsageCounters {
  const actor = createTelemetryActor().start();
  running.push(actor);
  return countersOf(actor);
}

function wire(body: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
}

describe('UsageCounters', () => {
  it('starts at zero', () => {
    expect(runningCounters().snapshot()).toEqual({ queries_total: 0, joins_total: 0, mvs_active: 0, clusters_connected: 0 });
  });

  it('counts queries and joins, and reports the last gauges set', () => {
    const counters = runningCounters();
    for (let i = 0; i < 3; i++) counters.recordQuery();
    counters.recordJoin();
    counters.recordJoin();
    counters.setMaterializedViews(7);
    counters.setMaterializedViews(4);
    counters.setClustersConnected(2);
    expect(counters.snapshot()).toEqual({ queries_total: 3, joins_total: 2, mvs_active: 4, clusters_connected: 2 });
  });

  it.each([
    [-3, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [2.9, 2],
    [0.5, 0],
  ])('reports the gauge value %d as %d', (value, reported) => {
    const counters = runningCounters();
    counters.setMaterializedViews(value);
    counters.setClustersConnected(value);
    expect(counters.snapshot()).toMatchObject({ mvs_active: reported, clusters_connected: reported });
  });

  it('takes a snapshot that later recording does not change', () => {
    const counters = runningCounters();
    counters.recordQuery();
    const snapshot = counters.snapshot();
    counters.recordQuery();
    counters.setClustersConnected(5);
    expect(snapshot).toEqual({ queries_total: 1, joins_total: 0, mvs_active: 0, clusters_connected: 0 });
  });

  it('reports only non-negative integers', () => {
    const counters = runningCounters();
    counters.recordQuery();
    counters.setMaterializedViews(-1.5);
    counters.setClustersConnected(3.7);
    const values = Object.values(counters.snapshot());
    expect(values.every((value) => Number.isInteger(value) && value >= 0)).toBe(true);
  });
});

describe('request bodies', () => {
  it('sends exactly instance_id, version, uptime_hours and telemetry to the token endpoint', () => {
    expect(wire(buildTokenRequestBody(FACTS))).toEqual({
      instance_id: FACTS.instanceId,
      version: '1.2.3',
      uptime_hours: 1.5,
      telemetry: { queries_total: 12, joins_total: 3, mvs_active: 2, clusters_connected: 1 },
    });
  });

  it('sends exactly license_id, instance_id, version, uptime_hours and telemetry to the refresh endpoint', () => {
    expect(wire(buildRefreshRequestBody('lic-1', FACTS))).toEqual({
      license_id: 'lic-1',
      instance_id: FACTS.instanceId,
      version: '1.2.3',
      uptime_hours: 1.5,
      telemetry: { queries_total: 12, joins_total: 3, mvs_active: 2, clusters_connected: 1 },
    });
  });

  it('has no telemetry key at all in the token body when usage is undefined', () => {
    const body = buildTokenRequestBody({ ...FACTS, usage: undefined });
    expect(Object.keys(body).sort()).toEqual(['instance_id', 'uptime_hours', 'version']);
    expect(JSON.stringify(body)).not.toContain('telemetry');
  });

  it('has no telemetry key at all in the refresh body when usage is undefined', () => {
    const body = buildRefreshRequestBody('lic-1', { ...FACTS, usage: undefined });
    expect(Object.keys(body).sort()).toEqual(['instance_id', 'license_id', 'uptime_hours', 'version']);
    expect(JSON.stringify(body)).not.toContain('telemetry');
  });

  it('sends exactly the four usage figures under telemetry', () => {
    const body = wire(buildTokenRequestBody({ ...FACTS, usage: runningCounters().snapshot() }));
    expect(Object.keys(body['telemetry'] as object).sort()).toEqual(['clusters_connected', 'joins_total', 'mvs_active', 'queries_total']);
  });
});

describe('uptimeHours', () => {
  it.each([
    [0, 0],
    [3_600_000, 1],
    [5_400_000, 1.5],
    [3_600, 0.001],
    [1_000, 0],
    [12_345_678, 3.429],
    [30 * 86_400_000, 720],
  ])('gives %d ms as %d hours', (ms, hours) => {
    expect(uptimeHours(ms)).toBe(hours);
  });

  it('never goes negative', () => {
    expect(uptimeHours(-10_000_000)).toBe(0);
  });

  it('is a whole number of millihours', () => {
    for (const ms of [1, 1_799, 1_800, 7_777_777, 123_456_789_012]) {
      const millihours = uptimeHours(ms) * 1_000;
      expect(Math.abs(millihours - Math.round(millihours))).toBeLessThan(1e-6);
    }
  });
});
