/**
 * Telemetry in refresh bodies: the four usage figures in both modes, and no `telemetry` field at
 * all when the options or the environment turn it off.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseAgentOptions } from '../../src/index.js';
import type { LicenseServer, RecordedRequest } from '../../src/issuer/index.js';
import { bodyOf, useE2E, waitForRequests } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_telemetry_key_61fe';
const EXPECTED = { queries_total: 3, joins_total: 2, mvs_active: 4, clusters_connected: 2 };

/** API-key mode against `server`, refreshing every 300 ms. */
async function apiKeyAgent(server: LicenseServer, options: Partial<LicenseAgentOptions> = {}) {
  return e2e.agent({
    apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks,
    refresh: { interval: '300ms' }, random: () => 0, ...options,
  });
}

/** Waits for the request after next: its body was certainly built after anything done now. */
async function requestBuiltAfterNow(server: LicenseServer): Promise<RecordedRequest> {
  const index = server.requests.length + 1;
  await waitForRequests(server, index + 1, 3_000);
  return server.requests[index]!;
}

describe('telemetry enabled (the default)', () => {
  it('sends the usage figures in the API-key body', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    expect(bodyOf(server.requests[0]!)['telemetry']).toEqual({ queries_total: 0, joins_total: 0, mvs_active: 0, clusters_connected: 0 });
    agent.telemetry.recordQuery();
    agent.telemetry.recordQuery();
    agent.telemetry.recordQuery();
    agent.telemetry.recordJoin();
    agent.telemetry.recordJoin();
    agent.telemetry.setMaterializedViews(4);
    agent.telemetry.setClustersConnected(2);
    expect(bodyOf(await requestBuiltAfterNow(server))['telemetry']).toEqual(EXPECTED);
  });

  it('sends the usage figures in the static-JWT refresh body', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl });
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '300ms' }, random: () => 0,
    });
    await agent.start();
    agent.telemetry.recordQuery();
    agent.telemetry.recordJoin();
    agent.telemetry.recordQuery();
    agent.telemetry.recordJoin();
    agent.telemetry.recordQuery();
    agent.telemetry.setMaterializedViews(7);
    agent.telemetry.setMaterializedViews(4);
    agent.telemetry.setClustersConnected(2);
    expect(bodyOf(await requestBuiltAfterNow(server))['telemetry']).toEqual(EXPECTED);
  });

  it('sends in the first body what the server recorded before start()', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    agent.telemetry.recordQueries(3);
    agent.telemetry.recordJoins(2);
    agent.telemetry.setMaterializedViews(4);
    agent.telemetry.setClustersConnected(2);
    await agent.start();
    expect(bodyOf(server.requests[0]!)['telemetry']).toEqual(EXPECTED);
  });

  it('keeps counting queries and joins across refreshes, since the agent started', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server);
    await agent.start();
    agent.telemetry.recordQuery();
    agent.telemetry.recordJoin();
    await requestBuiltAfterNow(server);
    agent.telemetry.recordQuery();
    agent.telemetry.recordQuery();
    agent.telemetry.recordJoin();
    expect(bodyOf(await requestBuiltAfterNow(server))['telemetry']).toMatchObject({ queries_total: 3, joins_total: 2 });
  });
});

describe('telemetry disabled', () => {
  async function expectNoTelemetry(server: LicenseServer): Promise<void> {
    await waitForRequests(server, 2, 3_000);
    for (const request of server.requests) {
      const body = bodyOf(request);
      expect(body).not.toHaveProperty('telemetry');
      expect(request.rawBody).not.toContain('telemetry');
      expect(body['instance_id']).toEqual(expect.any(String));
      expect(body['version']).toBe('1.2.3');
    }
  }

  it('omits the telemetry field from API-key bodies when telemetry.enabled is false', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server, { telemetry: { enabled: false } });
    await agent.start();
    agent.telemetry.recordQuery();
    expect(agent.status().telemetryEnabled).toBe(false);
    await expectNoTelemetry(server);
  });

  it('omits the telemetry field from static-JWT refresh bodies when telemetry.enabled is false', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl });
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '300ms' },
      telemetry: { enabled: false }, random: () => 0,
    });
    await agent.start();
    await expectNoTelemetry(server);
    expect(bodyOf(server.requests[0]!)['license_id']).toBe('lic-static');
  });

  it.each([
    ['DO_NOT_TRACK=1', { DO_NOT_TRACK: '1' }],
    ['SOFTCLIENT4ES_TELEMETRY_ENABLED=false', { SOFTCLIENT4ES_TELEMETRY_ENABLED: 'false' }],
    ['SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED=false', { SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'false' }],
  ])('omits the telemetry field when the environment says %s, even with telemetry.enabled true', async (_name, env) => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    const agent = await apiKeyAgent(server, { env, telemetry: { enabled: true } });
    await agent.start();
    agent.telemetry.recordQuery();
    await expectNoTelemetry(server);
  });
});
