/**
 * Server errors: `500`, `502`, `503` and `504` from the license server. In both modes: a `warn`
 * naming the status and the server's words, the license kept, the next refresh at the next regular
 * tick, one request per tick.
 */
import { describe, expect, it } from 'vitest';
import { waitForRequests } from '../../e2e/support/harness.js';
import { ERROR, WARN } from '../../support/logs.js';
import {
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  MODES,
  refreshWarnings,
  useNetworkFaults,
} from './support/faults.js';

const faults = useNetworkFaults();

describe.each(MODES)('in %s mode', (mode) => {
  it.each([500, 502, 503, 504])('keeps the license, warns "HTTP %i" with the server\'s message and keeps one request per tick', async (status) => {
    const server = await faults.referenceServer();
    server.respondWith(() => ({ status, headers: { 'content-type': 'application/json' }, body: '{"message":"upstream is down"}' }));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain(`license server answered with unexpected HTTP status ${status}: upstream is down`);
    expect(faults.logs.at(ERROR)).toEqual([]);
    expectLicenseKept(agent, license);
    expectOnePerTick(server.requests.map((request) => request.receivedAt), INTERVAL_MS);
  });
});

describe.each(MODES)('in %s mode, behind a proxy with a large error page', (mode) => {
  it('warns "HTTP 503", not the size of the page, when the 503 carries an error page over 64 KiB', async () => {
    const server = await faults.referenceServer();
    // A maintenance page of 100 KiB: the agent may stop reading it, but the status is the cause.
    server.respondWith(() => ({ status: 503, headers: { 'content-type': 'text/html' }, body: `<html>${'x'.repeat(100 * 1024)}</html>` }));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer: server });
    const warnings = await refreshWarnings(faults, 1, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('license server answered with unexpected HTTP status 503');
    expectLicenseKept(agent, license);
  });
});
