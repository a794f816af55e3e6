/**
 * Failing to connect: nothing listens, the host does not exist, the TLS handshake never completes.
 * In both modes: a `warn` naming the cause, the license kept, the next refresh at the next regular
 * tick, one attempt per tick.
 */
import { describe, expect, it } from 'vitest';
import { unusedPort, waitFor } from '../../e2e/support/harness.js';
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
import { startSilentTcpServer } from './support/servers.js';

const faults = useNetworkFaults();

describe.each(MODES)('in %s mode', (mode) => {
  it('keeps the license, warns "connection refused" and keeps one attempt per tick when nothing listens', async () => {
    const issuer = await faults.referenceServer();
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: `http://127.0.0.1:${await unusedPort()}`, issuer });
    const warnings = await refreshWarnings(faults, 2, 4_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('connection refused');
    expectLicenseKept(agent, license);
    await expectNextRegularTick(agent, INTERVAL_MS);
    expectOnePerTick(warnings.map((line) => line.time), INTERVAL_MS);
  });

  it('keeps the license, warns "unknown host" and keeps one attempt per tick when the host does not exist', async () => {
    const issuer = await faults.referenceServer();
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: 'https://no-such-host.invalid', issuer });
    const warnings = await refreshWarnings(faults, 2, 5_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('unknown host');
    expect(warnings[0]!.msg).toContain('no-such-host.invalid');
    expectLicenseKept(agent, license);
    await expectNextRegularTick(agent, INTERVAL_MS);
    expectOnePerTick(warnings.map((line) => line.time), INTERVAL_MS);
  });

  it('gives up after the configured connectTimeout, warns "connect timeout" and waits a full interval when the TLS handshake never completes', async () => {
    const issuer = await faults.referenceServer();
    const silent = faults.own(await startSilentTcpServer());
    const { agent, license } = await faults.licensedAgent({
      mode, endpoint: silent.url, issuer, options: { connectTimeout: '250ms', readTimeout: '10s' },
    });
    const warnings = await refreshWarnings(faults, 1, 4_000);
    // One connection for the attempt: no hidden retry behind the warning.
    expect(silent.connections).toHaveLength(1);
    await expectNextRegularTick(agent, INTERVAL_MS);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('connect timeout');
    expectLicenseKept(agent, license);
    // Cut by the agent after the connect timeout (undici's timer is coarse: up to a second late),
    // not after the 10 s read timeout.
    const [first] = silent.connections;
    await waitFor(() => first!.closedAt, 1_000, 'the connection to close');
    expect(first!.closedAt! - first!.acceptedAt).toBeGreaterThanOrEqual(240);
    expect(first!.closedAt! - first!.acceptedAt).toBeLessThan(1_600);
  });

  it('cuts a hanging TLS handshake at once on stop(), not after the 10 s connect timeout', async () => {
    const issuer = await faults.referenceServer();
    const silent = faults.own(await startSilentTcpServer());
    const { agent } = await faults.licensedAgent({ mode, endpoint: silent.url, issuer });
    await waitFor(() => silent.connections.length >= 1, 2_000, 'a connection');
    const stopping = Date.now();
    await agent.stop();

    // At once, next to the 10 s connect timeout: loose enough for a loaded machine.
    expect(Date.now() - stopping).toBeLessThan(2_000);
    // Nothing may keep the process alive once stop() has resolved: the socket goes too.
    await waitFor(() => silent.connections[0]!.closedAt, 1_000, 'the connection to close');
  });
});
