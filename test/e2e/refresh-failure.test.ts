/**
 * Refresh failures: a 5xx, a refused connection, a server that never answers. Each one logs a
 * warning naming its cause, keeps the current license, and leaves the schedule as it was: the
 * attempts go on, never sooner than one interval apart (no retry storm). That the next one comes
 * exactly one interval after the failure, never a tick later, is pinned in simulated time by
 * test/schedule/refresh-failure.test.ts: a real-time upper bound on a busy machine only measures
 * the machine.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../src/issuer/index.js';
import { WARN } from '../support/logs.js';
import { gaps, nowSeconds, useE2E, waitFor, waitForRequests } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_failure_key_0d4c';
const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'] };
const INTERVAL_MS = 300;

/** Each gap is at least one interval (less a timer's rounding), never a fraction of it. */
function expectNoRetryStorm(times: readonly number[], periodMs: number): void {
  expect(times.length).toBeGreaterThanOrEqual(2);
  for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(periodMs - 20);
}

describe('refresh failures', () => {
  it('keeps the current license, warns with the status and keeps the schedule when the server answers 503', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    });
    await agent.start();
    const license = agent.license();
    server.respondWith(() => ({ status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"maintenance"}' }));
    await waitForRequests(server, 4, 4_000);
    await waitFor(() => e2e.logs.refreshFailures().length >= 3, 2_000, 'three failure warnings');

    const warning = e2e.logs.refreshFailures()[0]!;
    expect(warning.level).toBe(WARN);
    expect(warning.msg).toContain('503');
    expect(agent.license()).toBe(license);
    expect(agent.status()).toMatchObject({ tier: 'Pro', licenseId: 'lic-pro' });
    expect(agent.status().lastError).toContain('503');
    expectNoRetryStorm(server.requests.slice(1).map((r) => r.receivedAt), INTERVAL_MS);
  });

  it('keeps the current license, warns "connection refused" and keeps the schedule when the server is gone', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    });
    await agent.start();
    const license = agent.license();
    await server.close();
    await waitFor(() => e2e.logs.refreshFailures().length >= 3, 4_000, 'three failure warnings');

    const warnings = e2e.logs.refreshFailures();
    expect(warnings[0]!.msg).toContain('connection refused');
    expect(agent.license()).toBe(license);
    expect(agent.status().tier).toBe('Pro');
    expectNoRetryStorm(warnings.map((line) => line.time), INTERVAL_MS);
  });

  it('warns "connection refused" in static-JWT mode when nothing listens at refresh_url', async () => {
    const server = await e2e.server();
    const stalled = await e2e.stallingServer();
    await stalled.close();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: `${stalled.url}/api/v1/licenses/refresh` });
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    });
    await agent.start();
    const license = agent.license();
    await waitFor(() => e2e.logs.refreshFailures().length >= 3, 4_000, 'three failure warnings');
    expect(e2e.logs.refreshFailures()[0]!.msg).toContain('connection refused');
    expect(agent.license()).toBe(license);
    expectNoRetryStorm(e2e.logs.refreshFailures().map((line) => line.time), INTERVAL_MS);
  });

  it('keeps the current license, warns "read timeout" and keeps the schedule when the server never answers', async () => {
    const issuer = await e2e.server();
    const stalled = await e2e.stallingServer();
    const licenseKey = await issuer.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: `${stalled.url}/api/v1/licenses/refresh`, iat: nowSeconds() - 60 });
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: issuer.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, readTimeout: '200ms', random: () => 0,
    });
    await agent.start();
    const license = agent.license();
    await waitForRequests(stalled, 3, 8_000);
    await waitFor(() => e2e.logs.refreshFailures().length >= 2, 2_000, 'two failure warnings');

    expect(e2e.logs.refreshFailures()[0]!.msg).toContain('read timeout');
    expect(agent.license()).toBe(license);
    expect(agent.status().tier).toBe('Pro');
    // Each attempt gives up after the read timeout (undici checks it on a coarse timer, so it may
    // fire up to a second late), then the next one comes one interval after that failure.
    for (let i = 0; i < 2; i++) {
      const attempt = stalled.requests[i]!;
      const next = stalled.requests[i + 1]!;
      const gaveUpAfter = (attempt.closedAt ?? Number.POSITIVE_INFINITY) - attempt.receivedAt;
      expect(gaveUpAfter).toBeGreaterThanOrEqual(190);
      expect(gaveUpAfter).toBeLessThan(1_600);
      expectNoRetryStorm([attempt.closedAt!, next.receivedAt], INTERVAL_MS);
    }
  });
});
