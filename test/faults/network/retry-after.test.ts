/**
 * `Retry-After`: a `429` or `503` that says when to come back, in seconds or as an HTTP date. The
 * agent never asks sooner than that, and never waits longer than its regular interval for it.
 *
 * A failure at a regular tick is followed by the next tick one interval later anyway, so the header
 * only shows on a failure between ticks: a manual refresh, whose answer the server holds until
 * shortly before the regular tick (so the test does not depend on how fast a loaded machine sends
 * it). The tick, kept after a failure, would then come before the `Retry-After` instant.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import { expectLicenseKept, refreshWarnings, useNetworkFaults, type Mode } from './support/faults.js';
import { retryAfter, startFaultyServer } from './support/servers.js';

const faults = useNetworkFaults();

type Form = 'seconds' | 'date';

/** Starts an agent whose manual refresh fails with a Retry-After `holdMs` before its regular tick. */
async function failBeforeTick(options: {
  status: number; form: Form; mode: Mode; delayMs: number; intervalMs: number; firstTickInMs: number; holdMs: number;
}) {
  const issuer = await faults.referenceServer();
  const named: number[] = [];
  let tick = Number.POSITIVE_INFINITY;
  const server = faults.own(await startFaultyServer(retryAfter(options.status, options.form, options.delayMs, () => tick - options.holdMs, named)));
  const { agent, license, firstTickAt } = await faults.licensedAgent({
    mode: options.mode, endpoint: server.url, issuer, intervalMs: options.intervalMs, firstTickInMs: options.firstTickInMs,
  });
  tick = firstTickAt;
  const result = await agent.refreshNow();
  expect(result).toMatchObject({ status: 'failed', message: expect.stringContaining(`license server answered with unexpected HTTP status ${options.status}`) });
  const failedAt = Date.parse(agent.status().lastAttempt!.at);
  // The premise: the manual refresh failed before the regular tick, which therefore stays.
  expect(server.requests[0]!.receivedAt).toBeLessThan(tick - options.holdMs);
  expect(failedAt).toBeLessThan(tick);
  return { agent, license, server, named, tick, failedAt };
}

describe('Retry-After', () => {
  it.each([
    [429, 'seconds', 'api-key'],
    [503, 'date', 'api-key'],
    [503, 'seconds', 'static-jwt'],
    [429, 'date', 'static-jwt'],
  ] as Array<[number, Form, Mode]>)('after a %i with Retry-After as %s (%s mode), asks again no sooner than it says, even past the regular tick', async (status, form, mode) => {
    // A Retry-After of 2 s (as a date, 2 to 3 s ahead: whole seconds): the interval must be longer,
    // or the cap would apply. The answer is held until 0.7 s before the tick (time enough for a loaded
    // machine to record the failure before it): an agent that measured the date from when it sent
    // the request, not from when the answer came, would wait that much too long.
    const { agent, license, server, named, tick } = await failBeforeTick({
      status, form, mode, delayMs: 2_000, holdMs: 700,
      // The first tick leaves the agent a second and more to send its manual refresh, on a loaded machine too.
      ...(form === 'date' ? { intervalMs: 4_500, firstTickInMs: 2_200 } : { intervalMs: 3_000, firstTickInMs: 2_000 }),
    });
    const warnings = await refreshWarnings(faults, 1, 1_000);
    const retryAt = named[0]!;
    // Honouring the header moves the next refresh past the tick it would otherwise have kept.
    expect(retryAt).toBeGreaterThan(tick + 500);
    expect(Date.parse(agent.status().nextRefreshAt as string)).toBeGreaterThanOrEqual(retryAt);
    await waitFor(() => server.requests.length >= 2, 6_000, 'the next attempt');

    expect(warnings[0]!.level).toBe(WARN);
    const next = server.requests[1]!.receivedAt;
    expect(next).toBeGreaterThanOrEqual(retryAt);
    expect(next - retryAt, 'ms between the Retry-After instant and the next attempt').toBeLessThan(600);
    expectLicenseKept(agent, license);
  });

  it.each([
    [503, 'seconds', 'api-key'],
    [429, 'date', 'static-jwt'],
  ] as Array<[number, Form, Mode]>)('after a %i with a Retry-After of 10 s as %s (%s mode), waits no longer than the regular interval', async (status, form, mode) => {
    // The kept tick would come 0.7 s after the failure, the uncapped Retry-After 10 s after it, the
    // capped one an interval (2 s) after it.
    const intervalMs = 2_000;
    const { agent, license, server, failedAt } = await failBeforeTick({
      status, form, mode, delayMs: 10_000, intervalMs, firstTickInMs: 1_800, holdMs: 700,
    });
    expect(Date.parse(agent.status().nextRefreshAt as string) - failedAt).toBe(intervalMs);
    await waitFor(() => server.requests.length >= 2, 4_000, 'the next attempt');

    const second = server.requests[1]!;
    expect(second.receivedAt - failedAt).toBeGreaterThanOrEqual(intervalMs - 25);
    expect(second.receivedAt - failedAt).toBeLessThan(intervalMs + 600);
    expectLicenseKept(agent, license);
  });
});
