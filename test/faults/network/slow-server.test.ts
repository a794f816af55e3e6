/**
 * Failing to answer: a server that accepts and never answers, one that trickles its body slower
 * than the read timeout, one that cuts the connection mid-body. In both modes: a `warn` naming the
 * cause, the license kept, the next refresh at the next regular tick, never two requests at once,
 * one per tick.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, waitFor, waitForRequests } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import {
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  MODES,
  refreshWarnings,
  useNetworkFaults,
} from './support/faults.js';
import { cutMidBody, neverAnswer, startFaultyServer, trickleBody, type Exchange } from './support/servers.js';

const faults = useNetworkFaults();

const READ_TIMEOUT_MS = 300;
/** undici checks its read timeouts on a coarse timer: one may fire up to about a second late. */
const COARSE_TIMER_MS = 1_300;

/**
 * The agent closed the first exchange one read timeout after the server received it (the first
 * bytes of a trickled body leave at once), and asked again one interval after that.
 */
function expectGaveUpThenWaited(requests: readonly Exchange[]): void {
  const [first, second] = requests;
  const gaveUpAfter = first!.closedAt! - first!.receivedAt;
  expect(gaveUpAfter).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 10);
  expect(gaveUpAfter).toBeLessThan(COARSE_TIMER_MS);
  expect(first!.closedAt).toBeLessThanOrEqual(second!.receivedAt);
  expectOnePerTick([first!.closedAt!, second!.receivedAt], INTERVAL_MS);
}

/** The state dir's files and their sizes. */
async function listing(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => `${name} (${(await stat(path.join(dir, name))).size} bytes)`));
}

describe.each(MODES)('in %s mode', (mode) => {
  it('gives up after readTimeout, warns "read timeout" and keeps one request per tick when the server never answers', async () => {
    const issuer = await faults.referenceServer();
    const server = faults.own(await startFaultyServer(neverAnswer));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer, options: { readTimeout: `${READ_TIMEOUT_MS}ms` } });
    const warnings = await refreshWarnings(faults, 1, 4_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('read timeout (no answer)');
    expectLicenseKept(agent, license);
    expectGaveUpThenWaited(server.requests);
  });

  it('gives up after readTimeout, warns "read timeout" and waits a full interval when the body trickles slower than it', async () => {
    const issuer = await faults.referenceServer();
    // Each byte comes well after the read timeout: the agent must give up, not wait for the whole body.
    const server = faults.own(await startFaultyServer(trickleBody(READ_TIMEOUT_MS + COARSE_TIMER_MS)));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer, options: { readTimeout: `${READ_TIMEOUT_MS}ms` } });
    const warnings = await refreshWarnings(faults, 1, 4_000);
    // One request for the attempt: no hidden retry behind the warning.
    expect(server.requests).toHaveLength(1);
    await expectNextRegularTick(agent, INTERVAL_MS);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('read timeout (body too slow)');
    expectLicenseKept(agent, license);
    const [first] = server.requests;
    await waitFor(() => first!.closedAt, 1_000, 'the connection to close');
    expect(first!.closedAt! - first!.receivedAt).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 10);
    expect(first!.closedAt! - first!.receivedAt).toBeLessThan(COARSE_TIMER_MS);
    expect(first!.bytesWritten).toBeLessThan(20);
  });

  it.each([
    ['closes the socket', 'close', /connection closed by the server/],
    ['resets the connection (RST)', 'reset', /connection reset/],
  ] as const)('keeps the license, names the cut and keeps one request per tick when the server %s mid-body', async (_what, cut, cause) => {
    const issuer = await faults.referenceServer();
    const server = faults.own(await startFaultyServer(cutMidBody(cut)));
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: server.url, issuer });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitForRequests(server, 2, 2_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toMatch(cause);
    expectLicenseKept(agent, license);
    expect(server.requests[0]!.closedAt).toBeDefined();
    expectOnePerTick(server.requests.map((exchange) => exchange.receivedAt), INTERVAL_MS, 50);
  });

  it('leaves its state dir settled once stop() resolves while a request hangs: no lock released or line written later', async () => {
    const issuer = await faults.referenceServer();
    const server = faults.own(await startFaultyServer(neverAnswer));
    const { agent } = await faults.licensedAgent({ mode, endpoint: server.url, issuer });
    await waitForRequests(server, 1, 2_000);
    const stateDir = agent.status().stateDir as string;
    await agent.stop();
    const atStop = await listing(stateDir);
    await sleep(300);

    expect(await listing(stateDir)).toEqual(atStop);
  });
});
