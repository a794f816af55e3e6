/**
 * Jitter: the regular delay is `interval × (1 − U(0, jitter))`, so refreshes come a little early,
 * never late. (The over-24.8-days interval is covered in simulated time.)
 */
import { describe, expect, it } from 'vitest';
import type { LicenseAgentOptions } from '../../src/index.js';
import { gaps, useE2E, waitForRequests } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_jitter_key_c4d9';

async function agentWith(refresh: LicenseAgentOptions['refresh'], random: () => number) {
  const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
  const agent = e2e.agent({
    apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh, random,
  });
  return { server, agent };
}

describe('jitter', () => {
  it('brings the next refresh forward by up to interval × jitter', async () => {
    const { server, agent } = await agentWith({ interval: '1s', jitter: 0.5 }, () => 0.999);
    await agent.start();
    await waitForRequests(server, 2, 3_000);
    const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
    // 1000 × (1 − 0.999 × 0.5) ≈ 501 ms, plus the round trip.
    expect(gap).toBeGreaterThanOrEqual(495);
    expect(gap).toBeLessThan(800);
  });

  it('never waits longer than the interval, whatever the random draw', async () => {
    const { server, agent } = await agentWith({ interval: '400ms', jitter: 0.5 }, Math.random);
    await agent.start();
    await waitForRequests(server, 5, 5_000);
    for (const gap of gaps(server.requests.map((r) => r.receivedAt))) {
      expect(gap).toBeGreaterThanOrEqual(200 - 5);
      expect(gap).toBeLessThan(400 + 150);
    }
  });

  it('waits the full interval when the random draw is 0', async () => {
    const { server, agent } = await agentWith({ interval: '600ms', jitter: 0.5 }, () => 0);
    await agent.start();
    await waitForRequests(server, 2, 3_000);
    const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(595);
    expect(gap).toBeLessThan(900);
  });
});
