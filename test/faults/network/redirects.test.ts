/**
 * The license server answers with a redirect. The agent follows none: not to another origin (which
 * would carry the `Authorization` header to a stranger), not even to its own. In both modes: a
 * `warn` naming the status, the license kept, one request per tick, and a second server that would
 * issue a better license never hears from the agent.
 */
import { describe, expect, it } from 'vitest';
import { waitForRequests } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import {
  API_KEY,
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  LICENSE,
  MODES,
  refreshWarnings,
  useNetworkFaults,
} from './support/faults.js';

const faults = useNetworkFaults();

describe.each(MODES)('in %s mode', (mode) => {
  it.each([302, 307, 308])('follows no %i to another origin: the other server never sees a request nor an Authorization header', async (status) => {
    const server = await faults.referenceServer();
    // Another origin with the same signing key, ready to hand out an Enterprise license: following
    // the redirect would show both in its requests and in the tier.
    const elsewhere = await faults.server({
      keys: server.keys,
      apiKeys: { [API_KEY]: { ...LICENSE, tier: 'Enterprise' } },
      licenses: { [LICENSE.sub]: { ...LICENSE, tier: 'Enterprise' } },
    });
    server.respondWith((request) => ({ status, headers: { location: `${elsewhere.url}${request.path}` } }));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain(`license server answered with unexpected HTTP status ${status}`);
    expect(elsewhere.requests).toEqual([]);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });

  it('follows no redirect to its own origin either', async () => {
    const server = await faults.referenceServer();
    server.respondWith((request) => (request.path.startsWith('/moved') ? undefined : { status: 307, headers: { location: `/moved${request.path}` } }));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.msg).toContain('license server answered with unexpected HTTP status 307');
    expect(server.requests.map((request) => request.path).filter((path) => path.startsWith('/moved'))).toEqual([]);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });
});
