/**
 * The offset between our clock and the license server's is measured from the `Date` header of every
 * answer, shown in `status().serverClockOffsetMs` (the server's clock minus ours), and warned about
 * once it passes the 5-minute tolerance. Real clocks, a real server whose `now` (and so its `Date`
 * header) runs ahead of ours. The `Date` header has whole seconds, so a measured offset may read up
 * to a second (plus half the round trip) low: ± 2 s.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../machines/schedule.js';
import type { LicenseServer } from '../../../src/issuer/index.js';
import { useE2E } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';

const e2e = useE2E();

const API_KEY = 'sk-key-offset';
const PRO = { sub: 'lic-offset', tier: 'Pro' } as const;
const TOLERANCE_MS = 2_000;

/**
 * A server whose clock runs `aheadMs()` ahead of ours. Its licenses are minted on our clock, so
 * that they verify: only the `Date` header tells of the offset.
 */
async function serverAhead(aheadMs: () => number) {
  const server = await e2e.server({ apiKeys: { [API_KEY]: PRO }, now: () => Date.now() + aheadMs() });
  let failing = false;
  const answer = async () => {
    const jwt = await server.mint(PRO, Date.now());
    server.respondWith(() =>
      failing
        ? { status: 503, body: 'unavailable' }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) });
  };
  await answer();
  return { server, fail: () => void (failing = true), reissue: answer };
}

async function startAgent(server: LicenseServer) {
  return e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
}

const clockWarnings = () => e2e.logs.at(WARN).filter((line) => /clock/i.test(line.msg));

describe('the clock offset against the license server\'s Date header', () => {
  it('is null before any answer', () => {
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: 'http://127.0.0.1:9', refresh: { interval: '24h' } });

    expect(agent.status().serverClockOffsetMs).toBeNull();
  });

  it('reads about +10 minutes for a server whose clock is 10 minutes ahead', async () => {
    const { server } = await serverAhead(() => 10 * MINUTE);
    const agent = await startAgent(server);

    await agent.start();

    expect(agent.status().serverClockOffsetMs).toBeGreaterThanOrEqual(10 * MINUTE - TOLERANCE_MS);
    expect(agent.status().serverClockOffsetMs).toBeLessThanOrEqual(10 * MINUTE + TOLERANCE_MS);
  });

  it('is warned about once, naming the clock, for a server 10 minutes ahead, however many answers come', async () => {
    const { server, reissue } = await serverAhead(() => 10 * MINUTE);
    const agent = await startAgent(server);
    await agent.start();
    await reissue();

    await agent.refreshNow();

    expect(server.requests).toHaveLength(2);
    expect(clockWarnings()).toHaveLength(1);
    expect(clockWarnings()[0]?.['offsetMs']).toBeGreaterThan(10 * MINUTE - TOLERANCE_MS);
  });

  it('is measured again on every answer, a failed one included', async () => {
    let ahead = 10 * MINUTE;
    const { server, fail } = await serverAhead(() => ahead);
    const agent = await startAgent(server);
    await agent.start();
    ahead = -3 * MINUTE;
    fail();

    const result = await agent.refreshNow();

    expect(result.status).toBe('failed');
    expect(agent.status().serverClockOffsetMs).toBeGreaterThanOrEqual(-3 * MINUTE - TOLERANCE_MS);
    expect(agent.status().serverClockOffsetMs).toBeLessThanOrEqual(-3 * MINUTE + TOLERANCE_MS);
  });

  it('is not warned about for a server 4 minutes ahead (inside the 5-minute tolerance)', async () => {
    const { server } = await serverAhead(() => 4 * MINUTE);
    const agent = await startAgent(server);

    await agent.start();

    expect(agent.status().serverClockOffsetMs).toBeGreaterThan(4 * MINUTE - TOLERANCE_MS);
    expect(clockWarnings()).toEqual([]);
  });

  it('reads about 0, with no warning at all, for a server on time', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = await startAgent(server);

    await agent.start();

    expect(Math.abs(agent.status().serverClockOffsetMs as number)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(e2e.logs.at(WARN)).toEqual([]);
  });
});
