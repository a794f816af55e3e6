/**
 * A correctly signed license whose times are beyond what a JavaScript `Date` can hold (`exp` of
 * 1e13 s) once took the host down: `new Date(exp * 1000).toISOString()` threw inside the actor's
 * observer and the process exited 1. Seen from outside, in a real child process, in both modes: at
 * start (the configured key, or the API key's first fetch) and on a scheduled refresh of a server
 * running fine. Each time `start()` resolves, the process runs on and stops cleanly (exit code 0),
 * the token is refused naming the claim, and a running server keeps its license.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../../src/issuer/index.js';
import { useE2E } from '../../e2e/support/harness.js';
import { runAgentProcess, type AgentRun } from '../support/spawn-agent.js';
import { ERROR, WARN } from '../../support/logs.js';

const e2e = useE2E();

const API_KEY = 'sk-overflow_key_1c9e';
const SUB = 'lic-overflow';
const PRO: LicenseTemplate = { sub: SUB, tier: 'Pro' };
const OVERFLOW: LicenseTemplate = { ...PRO, tier: 'Enterprise', exp: 1e13 };
const OUT_OF_RANGE = /license claim "exp" is out of range/;

function expectHostAlive(run: AgentRun): void {
  expect(run.stderr, 'nothing but log lines on stderr (no stack trace)').toBe('');
  expect(run.disagreements).toEqual([]);
  expect(run.code).toBe(0);
  expect(run.started).toBeDefined();
  expect(run.final).toBeDefined();
}

describe('a signed license with an exp beyond the range of a date', () => {
  it('configured at start (static-JWT mode): start() resolves, Community, the process lives on', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ ...OVERFLOW, refresh_url: server.refreshUrl });

    const run = await runAgentProcess({ options: { licenseKey, refreshOrigins: [server.url], trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() }, runMs: 300 });

    expectHostAlive(run);
    expect(run.final?.status).toMatchObject({ mode: 'community', tier: 'Community' });
    const errors = run.logs.filter((line) => line.level === ERROR);
    expect(errors.map((line) => (line['err'] as { message: string }).message)).toEqual([expect.stringMatching(OUT_OF_RANGE)]);
  });

  it("fetched at start (API-key mode): start() resolves, Community, the refusal is the attempt's message", async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: OVERFLOW } });

    const run = await runAgentProcess({
      options: { apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() },
      runMs: 300,
    });

    expectHostAlive(run);
    expect(run.final?.status).toMatchObject({ mode: 'api-key', tier: 'Community' });
    expect(run.final?.status.lastAttempt?.message).toMatch(OUT_OF_RANGE);
  });

  it.each(['static-jwt', 'api-key'] as const)('answered to a scheduled refresh (%s mode): the license in force stays', async (mode) => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO }, licenses: { [SUB]: PRO } });
    const common = { trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir(), refresh: { interval: '400ms', jitter: 0 } };
    const options = mode === 'api-key'
      ? { ...common, apiKey: API_KEY, serverUrl: server.url }
      : { ...common, licenseKey: await server.mint({ ...PRO, refresh_url: server.refreshUrl }), refreshOrigins: [server.url] };

    const run = await runAgentProcess({
      options,
      runMs: 10_000,
      until: 'failure',
      // Running fine on Pro; from now on every answer is the overflowing token.
      onView: (view) => {
        if (view.event !== 'started') return;
        server.setApiKey(API_KEY, OVERFLOW);
        server.setLicense(SUB, OVERFLOW);
      },
    });

    expectHostAlive(run);
    expect(run.started?.status).toMatchObject({ mode, tier: 'Pro' });
    expect(run.final?.status).toMatchObject({ mode, tier: 'Pro', licenseId: SUB, degraded: false });
    expect(run.final?.status.lastAttempt).toMatchObject({ ok: false, message: expect.stringMatching(OUT_OF_RANGE) });
    const refused = run.logs.filter((line) => line.level === WARN && OUT_OF_RANGE.test(line.msg));
    expect(refused.length).toBeGreaterThan(0);
    expect(server.requests.length).toBeGreaterThanOrEqual(mode === 'api-key' ? 2 : 1);
  });
});
