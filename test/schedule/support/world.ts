/**
 * The simulated-time world of the schedule tests: the real agent (`createLicenseAgent`) on a
 * stepping simulated clock, the reference license server on 127.0.0.1 minting with that clock, and
 * a real temporary state directory. Time only moves when a test moves it; each move walks from one
 * due timer to the next and waits for the real HTTP exchange it triggers before going on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createLicenseAgent, type LicenseAgent, type LicenseAgentOptions } from '../../../src/index.js';
import { startLicenseServer, type LicenseServer, type LicenseTemplate } from '../../../src/issuer/index.js';
import { SteppingClock, T0, type StepClock } from '../../support/clocks.js';
import { captureLogs, type LogLine } from '../../support/logs.js';
import { nextTurn, realDelay, stepTo } from '../../support/timers.js';

export { DAY, HOUR, MINUTE, SECOND } from '../../../machines/schedule.js';

/** The simulated start of every test. */
export { T0 };
export const API_KEY = 'sk-key-pro';
export const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'] };

/** How long, in real time, a settle waits for the agents' HTTP exchanges before failing the test. */
const SETTLE_TIMEOUT_MS = 5_000;
const BUSY_STATES = new Set(['firstLicense.fetching', 'refreshing', 'forcedRefresh']);

export interface ScheduleWorld<Clock extends StepClock = SteppingClock> {
  /** The clock new agents run on; `restartAt` replaces it as a process restart would. */
  readonly clock: Clock;
  readonly server: LicenseServer;
  readonly stateDir: string;
  readonly logs: LogLine[];
  /** Creates and starts an agent in API-key mode against the server, with `random: () => 0`. */
  startAgent(options?: Partial<LicenseAgentOptions>): Promise<LicenseAgent>;
  /** A new process: a fresh simulated clock at `at` (the previous agents should be stopped). */
  restartAt(at: number): Clock;
  /** Moves simulated time to `at`, firing each timer at its due instant and settling after each. */
  advanceTo(at: number): Promise<void>;
  /** When each request reached the server, in ms since T0. */
  requestTimes(): number[];
}

export interface WorldOptions<Clock extends StepClock> {
  /** Builds the simulated clock starting at `at` (at T0, and at each `restartAt`). */
  readonly clockAt: (at: number) => Clock;
}

const steppingClockAt = (at: number) => new SteppingClock(at);

/** Registers the hooks that build a world before each test and tear it down after. */
export function useScheduleWorld(apiKeys?: Record<string, LicenseTemplate>): () => ScheduleWorld;
export function useScheduleWorld<Clock extends StepClock>(
  apiKeys: Record<string, LicenseTemplate> | undefined,
  options: WorldOptions<Clock>,
): () => ScheduleWorld<Clock>;
export function useScheduleWorld(
  apiKeys: Record<string, LicenseTemplate> = { [API_KEY]: PRO },
  options: WorldOptions<StepClock> = { clockAt: steppingClockAt },
): () => ScheduleWorld<StepClock> {
  let world: ScheduleWorld<StepClock> | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    const built = await buildWorld(apiKeys, options.clockAt);
    world = built.world;
    cleanup = built.cleanup;
  });
  afterEach(async () => {
    await cleanup?.();
    world = undefined;
    cleanup = undefined;
  });
  return () => {
    if (!world) throw new Error('the schedule world is only available inside a test');
    return world;
  };
}

/** Waits until none of `agents` is in the middle of a refresh (its real HTTP exchange done). */
async function settleAgents(agents: readonly LicenseAgent[]): Promise<void> {
  const running = () => agents.filter((agent) => agent.status().state !== 'stopped');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (let turn = 0; ; turn++) {
    // A few turns even when nothing looks busy: a resolved fetch is delivered on a later tick.
    if (turn >= 3 && running().every((agent) => !BUSY_STATES.has(agent.status().state))) return;
    if (Date.now() > deadline) {
      const states = running().map((agent) => agent.status().state).join(', ');
      throw new Error(`agents still busy after ${SETTLE_TIMEOUT_MS} ms of real time: ${states}`);
    }
    // Spin on the event loop first, then yield for real so that sockets make progress.
    if (turn < 50) await nextTurn();
    else await realDelay(2);
  }
}

async function buildWorld(apiKeys: Record<string, LicenseTemplate>, clockAt: (at: number) => StepClock) {
  let clock = clockAt(T0);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-schedule-'));
  const server = await startLicenseServer({ apiKeys, now: () => clock.now() });
  const { logger: log, lines } = captureLogs();
  const agents: LicenseAgent[] = [];
  const settle = () => settleAgents(agents);
  const advanceTo = (at: number) => stepTo(clock, at, settle);

  const world: ScheduleWorld<StepClock> = {
    get clock() {
      return clock;
    },
    server,
    stateDir,
    logs: lines,
    async startAgent(options = {}) {
      const agent = createLicenseAgent({
        version: '1.0.0',
        apiKey: API_KEY,
        serverUrl: server.url,
        stateDir,
        trustedKeys: server.keys.jwks,
        logger: log,
        env: {},
        clock,
        random: () => 0,
        ...options,
      });
      agents.push(agent);
      await agent.start();
      // A delay of 0 (a refresh already overdue) waits for the simulated clock to move: fire it now,
      // as a real timer would on the next turn of the event loop.
      await advanceTo(clock.now());
      return agent;
    },
    restartAt(at) {
      clock = clockAt(at);
      return clock;
    },
    advanceTo,
    requestTimes: () => server.requests.map((request) => request.receivedAt - T0),
  };

  async function cleanup(): Promise<void> {
    await Promise.all(agents.map((agent) => agent.stop()));
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  }

  return { world, cleanup };
}
