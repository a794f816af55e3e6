/**
 * One soak run: the real agent on a stepping simulated clock, the reference license server (its
 * `now` tied to that clock, its answers scripted step by step through `respondWith`), and a front
 * between them that counts requests in flight and plays the slow server. Time only moves when the
 * run moves it (see driver.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { createLicenseAgent, type LicenseAgent } from '../../../../src/index.js';
import { REFRESH_PATH, startLicenseServer, type LicenseServer, type LicenseTemplate } from '../../../../src/issuer/index.js';
import { DAY, SECOND, T0 } from '../../../schedule/support/world.js';
import { SteppingClock } from '../../../support/clocks.js';
import { captureLogs } from '../../../support/logs.js';
import { seededRandom } from '../../../support/random.js';
import { LICENSE_ID, faultHandler, type BehaviourParams } from './behaviours.js';
import { createDriver } from './driver.js';
import { startFront, type Front, type FrontExchange } from './front.js';

export const API_KEY = 'sk-key-soak';
export const SOAK_TEMPLATE: LicenseTemplate = { sub: LICENSE_ID, tier: 'Pro', features: ['federation'] };

export interface SoakStep extends BehaviourParams {
  /** How far the run moves the clock after setting this behaviour. */
  readonly advanceMs: number;
  /** Usage the server records before the clock moves. */
  readonly queries: number;
  readonly joins: number;
}

export interface SoakRun {
  readonly mode: 'api-key' | 'static-jwt';
  readonly telemetry: boolean;
  readonly interval: '6h' | '24h' | '3d';
  readonly jitter: number;
  /** Seeds the agent's `random` (jitter and backoff draws). */
  readonly randomSeed: number;
  readonly steps: readonly SoakStep[];
}

/** What the agent was doing when a request reached the front. */
export interface ArrivalTag {
  readonly state: string;
  /** The agent held a license (any) when the request left. */
  readonly licensed: boolean;
  /** That license's expiry (ms), `null` for none or no expiry. */
  readonly expiresAt: number | null;
}

/** State dirs live in memory where the system offers it: the agent fsyncs every write, the soak makes thousands. */
const SCRATCH_ROOT = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

/** The server and front shared by every run of a test file; each run resets them. */
export interface SoakStage {
  readonly server: LicenseServer;
  readonly front: Front;
  /** The clock of the run in progress. */
  clock: SteppingClock;
  close(): Promise<void>;
}

export async function startStage(): Promise<SoakStage> {
  const stage = { clock: new SteppingClock(T0) } as SoakStage;
  const server = await startLicenseServer({ apiKeys: { [API_KEY]: SOAK_TEMPLATE }, now: () => stage.clock.now() });
  const front = await startFront({ target: server.url, now: () => stage.clock.now() });
  return Object.assign(stage, {
    server,
    front,
    async close() {
      await front.close();
      await server.close();
    },
  });
}

export interface RunningSoak {
  readonly agent: LicenseAgent;
  readonly clock: SteppingClock;
  readonly stateDir: string;
  /** The configured license in static-JWT mode. */
  readonly configured: string | undefined;
  /** Every log line at warn level and above. */
  readonly logs: Array<{ level: number; msg: string }>;
  /** Queries and joins recorded so far. */
  readonly recorded: { queries: number; joins: number };
  /** Sets the behaviour, records usage, and moves the clock by the step's advance. */
  play(step: SoakStep): Promise<void>;
  exchanges(): readonly FrontExchange[];
  stop(): Promise<void>;
}

/** The agent of a run: API-key mode through the front, or a static license refreshed through it. */
function createRunAgent(stage: SoakStage, run: SoakRun, stateDir: string, configured: string | undefined, logger: Logger): LicenseAgent {
  return createLicenseAgent({
    version: '1.0.0',
    ...(run.mode === 'api-key' ? { apiKey: API_KEY, serverUrl: stage.front.url } : { licenseKey: configured, refreshOrigins: [stage.front.url] }),
    stateDir,
    trustedKeys: stage.server.keys.jwks,
    logger,
    env: {},
    clock: stage.clock,
    random: seededRandom(run.randomSeed),
    refresh: { interval: run.interval, jitter: run.jitter },
    telemetry: { enabled: run.telemetry },
  });
}

/** Starts the agent of one run, its start-up requests answered under `first`'s behaviour. */
export async function startRun(stage: SoakStage, run: SoakRun, first: BehaviourParams): Promise<RunningSoak> {
  const clock = new SteppingClock(T0);
  stage.clock = clock;
  const { server, front } = stage;
  front.reset();
  server.requests.length = 0;
  const stateDir = await mkdtemp(path.join(SCRATCH_ROOT, 'softclient4es-soak-'));
  const template: LicenseTemplate = run.mode === 'static-jwt' ? { ...SOAK_TEMPLATE, refresh_url: `${front.url}${REFRESH_PATH}` } : SOAK_TEMPLATE;
  const behaviourContext = { keys: server.keys, now: () => clock.now(), template, ancientIat: Math.floor((T0 - DAY) / 1000) };
  let behaviour = first;
  const setBehaviour = (params: BehaviourParams) => {
    behaviour = params;
    server.respondWith(faultHandler(params, behaviourContext));
  };
  setBehaviour(first);
  // Issued a minute before T0, so that every re-issue is a newer token.
  const configured = run.mode === 'static-jwt' ? await server.mint(template, T0 - 60 * SECOND) : undefined;
  // Warn and above: the soak only looks for internal errors.
  const logs = captureLogs('warn');
  const agent = createRunAgent(stage, run, stateDir, configured, logs.logger);
  front.tagWith = (): ArrivalTag => {
    const status = agent.status();
    return { state: status.state, licensed: status.licenseId !== null, expiresAt: status.expiresAt === null ? null : Date.parse(status.expiresAt) };
  };
  front.holdFor = () => (behaviour.behaviour === 'slow' ? behaviour.slowMs : undefined);
  const driver = createDriver(clock, front, agent, stateDir);

  let started = false;
  const starting = agent.start().then(() => void (started = true));
  // start() waits for the first fetch, which a slow server holds until the clock moves.
  while (!started) await driver.settle();
  await starting;
  // A refresh due at once (delay 0) waits for the clock to move: fire it now, as a real timer would.
  await driver.advanceTo(clock.now());

  const recorded = { queries: 0, joins: 0 };
  return {
    agent,
    clock,
    stateDir,
    configured,
    logs: logs.lines,
    recorded,
    async play(step) {
      setBehaviour(step);
      for (let i = 0; i < step.queries; i++) agent.telemetry.recordQuery();
      for (let i = 0; i < step.joins; i++) agent.telemetry.recordJoin();
      recorded.queries += step.queries;
      recorded.joins += step.joins;
      await driver.advanceTo(clock.now() + step.advanceMs);
    },
    exchanges: () => front.exchanges,
    async stop() {
      await agent.stop();
      server.respondWith(undefined);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
