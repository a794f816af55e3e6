/**
 * A system clock set back behind the current JWT's `iat` is reported: in `status().clockWarning`
 * and with one warn. In simulated time: the agent runs on a clock that can be set back (XState's
 * `SimulatedClock` refuses to travel back), and, as with any custom clock, it runs no watchdog, so
 * the test tells it of the jump with `notifyClockJump()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../../../machines/schedule.js';
import { createLicenseAgent, type LicenseAgent, type LicenseAgentOptions } from '../../../src/index.js';
import { startLicenseServer, type LicenseServer } from '../../../src/issuer/index.js';
import { writeCache } from '../../e2e/support/harness.js';
import { SuspendableClock, T0 } from '../../support/clocks.js';
import { captureLogs, type LogCapture, WARN } from '../../support/logs.js';

const API_KEY = 'sk-key-set-back';
const PRO = { sub: 'lic-set-back', tier: 'Pro' } as const;

let clock: SuspendableClock;
/** How far the true time (the server's clock) is ahead of ours. */
let trueTimeAheadMs = 0;
let server: LicenseServer;
let stateDir: string;
let logs: LogCapture;
const agents: LicenseAgent[] = [];

beforeEach(async () => {
  clock = new SuspendableClock(T0);
  trueTimeAheadMs = 0;
  server = await startLicenseServer({ apiKeys: { [API_KEY]: PRO }, now: () => clock.now() + trueTimeAheadMs });
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-set-back-'));
  logs = captureLogs();
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
  await server.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function startAgent(options: Partial<LicenseAgentOptions> = {}): Promise<LicenseAgent> {
  const agent = createLicenseAgent({
    version: '1.0.0',
    apiKey: API_KEY,
    serverUrl: server.url,
    stateDir,
    trustedKeys: server.keys.jwks,
    logger: logs.logger,
    env: {},
    clock,
    random: () => 0,
    ...options,
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** Our clock is set to read `at`; the true time (the server's) goes on. */
function setClockTo(at: number): void {
  trueTimeAheadMs += clock.now() - at;
  clock.setReading(at);
}

const setBackWarnings = () => logs.at(WARN).filter((line) => line.msg.includes('issue time'));

describe('a clock set back behind the current license\'s iat (issued at T0)', () => {
  it('shows no clock warning while the clock is right', async () => {
    const agent = await startAgent();

    expect(agent.status().licenseId).toBe(PRO.sub);
    expect(agent.status().clockWarning).toBeNull();
  });

  it('is reported in status().clockWarning once the agent is told of the jump', async () => {
    const agent = await startAgent();
    setClockTo(T0 - DAY);

    agent.notifyClockJump();

    expect(agent.status().clockWarning).toContain(new Date(T0).toISOString());
  });

  it('is warned about once, with the license\'s issue time', async () => {
    const agent = await startAgent();
    setClockTo(T0 - DAY);

    agent.notifyClockJump();

    expect(setBackWarnings()).toHaveLength(1);
    expect(setBackWarnings()[0]?.['issuedAt']).toBe(new Date(T0).toISOString());
  });

  it('keeps the license in force: a clock problem is not a license problem', async () => {
    const agent = await startAgent();
    setClockTo(T0 - DAY);

    agent.notifyClockJump();

    expect(agent.status()).toMatchObject({ licenseId: PRO.sub, tier: 'Pro', degraded: false });
  });

  it('is not reported for a clock set back 4 minutes (inside the 5-minute tolerance)', async () => {
    const agent = await startAgent();
    setClockTo(T0 - 4 * MINUTE);

    agent.notifyClockJump();

    expect(agent.status().clockWarning).toBeNull();
    expect(setBackWarnings()).toEqual([]);
  });

  it('is cleared once the clock is past the issue time again', async () => {
    const agent = await startAgent();
    setClockTo(T0 - DAY);
    agent.notifyClockJump();

    setClockTo(T0 + HOUR);
    agent.notifyClockJump();

    expect(agent.status().clockWarning).toBeNull();
  });

  it('is reported at start-up when the cached license was issued a day ahead of the clock', async () => {
    // An earlier run, with the clock right, fetched a license at T0 + 1 day; then the clock was set
    // back a day (the true time, the server's, is a day ahead of it).
    const jwt = await server.mint(PRO, T0 + DAY);
    await writeCache(stateDir, { jwt, fetchedAt: T0 + DAY, apiKey: API_KEY });
    trueTimeAheadMs = DAY;

    const agent = await startAgent();

    expect(agent.status().clockWarning).not.toBeNull();
  });
});
