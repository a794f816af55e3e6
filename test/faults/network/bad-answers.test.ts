/**
 * A `200` that is not the contract's `{ "jwt": "<token>" }`: not JSON, empty, no `jwt`, a `jwt`
 * that is not a string, a wrong content type, and a body over 64 KiB, which the agent must stop
 * reading rather than buffer. In both modes: a `warn` naming what was wrong, the license kept (even
 * when the body held a valid JWT), the next refresh at the next regular tick.
 */
import { describe, expect, it } from 'vitest';
import type { FaultResponse, LicenseServer } from '../../../src/issuer/index.js';
import { waitForRequests } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import {
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  LICENSE,
  MODES,
  refreshWarnings,
  useNetworkFaults,
  type Mode,
} from './support/faults.js';
import { hugeSlowBody, startFaultyServer } from './support/servers.js';

const faults = useNetworkFaults();

const JSON_TYPE = { 'content-type': 'application/json' };

/** A valid Enterprise successor of the agent's license: adopting it would show in the tier. */
async function validUpgrade(server: LicenseServer, mode: Mode): Promise<string> {
  const jwt = await server.mint({
    ...LICENSE, tier: 'Enterprise', ...(mode === 'static-jwt' ? { refresh_url: server.refreshUrl } : {}),
  });
  faults.secret(jwt);
  return jwt;
}

type BadAnswer = (jwt: string) => FaultResponse;

const BAD_ANSWERS: Array<[string, BadAnswer, string]> = [
  ['a body that is not JSON', () => ({ status: 200, headers: JSON_TYPE, body: '<html>Service Unavailable</html>' }), 'with a body that is not JSON'],
  ['an empty body', () => ({ status: 200, headers: JSON_TYPE, body: '' }), 'with an empty body'],
  ['no "jwt"', (jwt) => ({ status: 200, headers: JSON_TYPE, body: JSON.stringify({ token: jwt }) }), 'without a "jwt" string'],
  ['a "jwt" that is not a string', () => ({ status: 200, headers: JSON_TYPE, body: '{"jwt":42}' }), 'without a "jwt" string'],
  ['a content type that is not JSON', (jwt) => ({ status: 200, headers: { 'content-type': 'text/html' }, body: JSON.stringify({ jwt }) }), 'with content type "text/html", not JSON'],
];

describe.each(MODES)('in %s mode', (mode) => {
  it.each(BAD_ANSWERS)('keeps the license, warns and keeps one request per tick when a 200 carries %s', async (_what, answer, cause) => {
    const server = await faults.referenceServer();
    const jwt = await validUpgrade(server, mode);
    server.respondWith(() => answer(jwt));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain(`license server answered 200 ${cause}`);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });

  it('stops reading a body over 64 KiB before the server has written it, warns and keeps one request per tick', async () => {
    const issuer = await faults.referenceServer();
    const MIB = 1024 * 1024;
    // 1 MiB, 16 KiB every 20 ms: the whole body takes the server over a second to write.
    const server = faults.own(await startFaultyServer(hugeSlowBody(MIB, 16 * 1024, 20)));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('response body over 65536 bytes');
    const first = server.requests[0]!;
    expect(first.closedAt).toBeDefined();
    expect(first.finished).toBe(false);
    expect(first.bytesWritten).toBeLessThan(MIB / 2);
    expect(first.closedAt! - first.receivedAt).toBeLessThan(600);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS, 100);
  });
});
