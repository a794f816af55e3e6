/**
 * A system clock set back two days (a VM restored from a snapshot, a dead RTC battery), on a real
 * server process: libfaketime shifts the child's wall clock, the license server keeps the true
 * time. A signed license is never dropped for it: a configured or cached token is adopted although
 * it was issued "in the future", and a fetched one is judged by the server's own `Date` header.
 * `status().clockWarning` says how far the clock is behind, one warning is logged, and validity,
 * degraded, tier and the SHOW LICENSE row agree. In both modes, with the server up and down.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LicenseTemplate } from '../../../src/issuer/index.js';
import { unusedPort, useE2E, writeCache } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import { ensureFaketime } from '../support/faketime.js';
import { runAgentProcess, type AgentRun, type AgentView } from '../support/spawn-agent.js';

const e2e = useE2E();

const API_KEY = 'sk-shifted_clock_key_4b1f';
const SUB = 'lic-shifted-clock';
const PRO: LicenseTemplate = { sub: SUB, tier: 'Pro' };
const SET_BACK = '-2d';
const TWO_DAYS_MS = 2 * 86_400_000;

beforeAll(() => ensureFaketime(), 120_000);

/** The clock warning says "behind", by about two days. */
function expectClockWarning(view: AgentView | undefined): void {
  const warning = view?.status['clockWarning'];
  expect(warning).toEqual(expect.stringMatching(/the system clock .*(1d 23h|2d).* behind the (license's issue time|license server's)/));
}

/** The license in force, as every view of it tells: valid Pro, not degraded. */
function expectValidPro(view: AgentView | undefined): void {
  expect(view?.status).toMatchObject({ tier: 'Pro', licenseId: SUB, validity: 'valid', degraded: false });
  expect(view?.license).toMatchObject({ tier: 'Pro', degraded: false });
  expect(view?.row).toMatchObject({ license_type: 'Pro', status: 'Active' });
}

function expectOneClockWarning(run: AgentRun): void {
  const warnings = run.logs.filter((line) => line.level === WARN && /system clock/.test(line.msg));
  expect(warnings).toHaveLength(1);
}

function expectChildClockSetBack(run: AgentRun): void {
  // The child did run two days behind: its own reading says so.
  const lag = Date.now() - Date.parse(run.final?.now ?? '');
  expect(lag).toBeGreaterThan(TWO_DAYS_MS - 60_000);
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.disagreements).toEqual([]);
}

describe('a clock set back two days, static-JWT mode', () => {
  it.each(['up', 'down'] as const)('keeps the configured license issued "in the future" (server %s)', async (server) => {
    const issuer = await e2e.server({ licenses: { [SUB]: PRO } });
    const refreshUrl = server === 'up' ? issuer.refreshUrl : `http://127.0.0.1:${await unusedPort()}/api/v1/licenses/refresh`;
    const licenseKey = await issuer.mint({ ...PRO, refresh_url: refreshUrl });

    const run = await runAgentProcess({
      options: { licenseKey, refreshOrigins: [new URL(refreshUrl).origin], trustedKeys: issuer.keys.jwks, stateDir: await e2e.tempDir(), refresh: { interval: '500ms', jitter: 0 } },
      runMs: 10_000,
      until: 'attempt',
      faketime: SET_BACK,
    });

    expectChildClockSetBack(run);
    for (const view of [run.started, run.final]) {
      expectValidPro(view);
      expectClockWarning(view);
    }
    expectOneClockWarning(run);
    expect(run.final?.status.lastAttempt?.ok).toBe(server === 'up');
  });
});

describe('a clock set back two days, API-key mode', () => {
  it('adopts the license fetched from a server on the true time (server up)', async () => {
    const issuer = await e2e.server({ apiKeys: { [API_KEY]: PRO } });

    const run = await runAgentProcess({
      options: { apiKey: API_KEY, serverUrl: issuer.url, trustedKeys: issuer.keys.jwks, stateDir: await e2e.tempDir(), refresh: { interval: '24h' } },
      runMs: 300,
      faketime: SET_BACK,
    });

    expectChildClockSetBack(run);
    expect(issuer.requests).toHaveLength(1);
    expectValidPro(run.final);
    expectClockWarning(run.final);
    expectOneClockWarning(run);
    expect(run.final?.status['serverClockOffsetMs']).toBeGreaterThan(TWO_DAYS_MS - 60_000);
  });

  it('keeps the cached license issued "in the future" (server down)', async () => {
    const issuer = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    await writeCache(stateDir, { jwt: await issuer.mint(PRO), fetchedAt: Date.now(), apiKey: API_KEY });
    const serverUrl = `http://127.0.0.1:${await unusedPort()}`;

    const run = await runAgentProcess({
      options: { apiKey: API_KEY, serverUrl, trustedKeys: issuer.keys.jwks, stateDir, refresh: { interval: '500ms', jitter: 0 } },
      runMs: 10_000,
      until: 'failure',
      faketime: SET_BACK,
    });

    expectChildClockSetBack(run);
    for (const view of [run.started, run.final]) {
      expectValidPro(view);
      expectClockWarning(view);
    }
    expectOneClockWarning(run);
    expect(run.final?.status.lastAttempt).toMatchObject({ ok: false, message: expect.stringMatching(/connection refused/) });
  });
});
