/**
 * The license server rejects the API key or the license (`401`, `403`). In both modes: an `error`
 * record quoting the server (with any credential it echoes cut out), the license kept, and no retry
 * before the next regular tick: a rejection is not a glitch to hammer at.
 */
import { describe, expect, it } from 'vitest';
import { credentials, waitForRequests } from '../../e2e/support/harness.js';
import { ERROR } from '../../support/logs.js';
import {
  API_KEY,
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  MODES,
  records,
  useNetworkFaults,
} from './support/faults.js';

const faults = useNetworkFaults();

describe.each(MODES)('in %s mode', (mode) => {
  it.each([401, 403])('logs an error with the server\'s message and asks again only at the next regular tick when the server answers %i', async (status) => {
    const server = await faults.referenceServer();
    // The server echoes the credential it refused: the agent must quote its words, not the secret.
    server.respondWith((request) => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `credential ${credentials(request, 'Bearer')} is revoked` }),
    }));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const errors = await records(faults, ERROR, 'license refresh rejected', 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    // SoftClient4ES quotes a 401 as a rejection and words every other status, 403 included, as unexpected;
    // both are refusals for the schedule, logged at error.
    const said = status === 401 ? 'rejected the request with HTTP 401' : `answered with unexpected HTTP status ${status}`;
    expect(errors[0]!.msg).toBe(`license refresh rejected: license server ${said}: credential [redacted] is revoked; keeping the current license`);
    expect(faults.logs.refreshFailures()).toEqual([]);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });
});

describe('in api-key mode with no license yet', () => {
  it('asks again at the next regular tick, not on the no-license backoff, when the server does not know the API key', async () => {
    const server = await faults.server();
    const agent = faults.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await faults.tempDir(), trustedKeys: server.keys.jwks,
      refresh: { interval: `${INTERVAL_MS}ms` }, random: () => 0,
    });
    await agent.start();
    const errors = await records(faults, ERROR, 'license refresh rejected', 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(errors[0]!.msg).toContain('license server rejected the request with HTTP 401: unknown API key');
    expect(agent.status()).toMatchObject({ tier: 'Community', licenseId: null });
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });
});
