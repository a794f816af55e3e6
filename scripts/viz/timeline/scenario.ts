/**
 * Sixty days in the life of a license agent, in simulated time: the real agent (`createLicenseAgent`)
 * in API-key mode against the reference license server (`src/issuer`) over real loopback HTTP, both
 * reading one stepping simulated clock. Time moves from one due timer to the next, and waits at
 * each for the real HTTP exchange it starts; the story's events (an outage, a server that stops
 * renewing, a new license) happen at fixed instants. What the agent does is recorded from its own
 * reports: the diagnostics channels `softclient4es-license:state` and `softclient4es-license:refresh`,
 * and `licenseChanged`. Randomness is seeded and the start is a fixed instant: every run records
 * the same story.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DAY, HOUR } from '../../../machines/schedule.js';
import { CHANNELS, createLicenseAgent, type LicenseAgent, type RefreshMessage, type StateMessage } from '../../../src/index.js';
import { startLicenseServer, type LicenseServer, type LicenseTemplate } from '../../../src/issuer/index.js';
import { SteppingClock } from '../../../test/support/clocks.js';
import { seededRandom } from '../../../test/support/random.js';

/** The first instant of the story. */
export const START = Date.UTC(2030, 0, 1);
export const DURATION = 60 * DAY;
const API_KEY = 'sk-timeline-api-key';
const SEED = 20300101;

/** The customer's subscription until day 8: 14-day licenses, renewed at every refresh. */
const RENEWED: LicenseTemplate = { sub: 'lic-pro-1', tier: 'Pro', features: ['joins', 'materialized_views'], validFor: 14 * DAY };
/** From day 40: a new, yearly license. */
const NEW_LICENSE: LicenseTemplate = { sub: 'lic-pro-2', tier: 'Pro', features: ['joins', 'materialized_views'], validFor: 365 * DAY };

/** The story's events, at fixed instants (ms after START). */
export const STORY = {
  outageFrom: 3 * DAY + 12 * HOUR,
  outageUntil: 5 * DAY + 12 * HOUR,
  stopsRenewingAt: 8 * DAY + 12 * HOUR,
  newLicenseAt: 40 * DAY,
} as const;

export type Region = 'refresh' | 'validity' | 'tier';

/** A region in one state from `from` until the next change (ms after START). */
export interface StateChange {
  readonly region: Region;
  readonly at: number;
  readonly state: string;
}

export type RequestOutcome = 'renewed' | 'not renewed' | 'failed';

export interface RequestMark {
  readonly at: number;
  readonly forced: boolean;
  readonly outcome: RequestOutcome;
  /** Why a request failed: its HTTP status, or the error code (`ERR_LICENSE_VERIFICATION`, ...). */
  readonly reason?: string;
}

export interface TimelineRecord {
  readonly duration: number;
  readonly changes: readonly StateChange[];
  readonly requests: readonly RequestMark[];
  /** Instants at which a license in force expired. */
  readonly expiries: readonly { readonly at: number; readonly licenseId: string }[];
  readonly story: typeof STORY;
}

/** `'{"grace":"early"}'` → `grace.early`; `'"checking"'` → `checking`. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const BUSY = new Set(['firstLicense.fetching', 'refreshing', 'forcedRefresh']);
const SETTLE_TIMEOUT_MS = 10_000;

/**
 * Waits, in real time, until the agent is not in the middle of a refresh and has released the
 * refresh lock of its state dir (released just after the machine moves on: a refresh started
 * before that would find the lock taken and wait 100 ms of real time for it).
 */
async function settle(agent: LicenseAgent, stateDir: string): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const lock = path.join(stateDir, 'refresh.lock');
  for (let turn = 0; ; turn++) {
    // A few turns even when nothing looks busy: a settled fetch is delivered on a later tick.
    if (turn >= 3 && !BUSY.has(agent.status().state) && !existsSync(lock)) return;
    if (Date.now() > deadline) throw new Error(`the agent is still ${agent.status().state} after ${SETTLE_TIMEOUT_MS} ms of real time`);
    if (turn < 50) await nextTurn();
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

interface World {
  readonly clock: SteppingClock;
  readonly agent: LicenseAgent;
  readonly stateDir: string;
}

/** Moves the clock to `at`, firing each timer at its own instant and settling after each. */
async function advanceTo(world: World, at: number): Promise<void> {
  const { clock, agent, stateDir } = world;
  await settle(agent, stateDir);
  for (;;) {
    const dueAt = clock.nextDueAt();
    if (dueAt === undefined || dueAt > at) break;
    clock.set(Math.max(dueAt, clock.now()));
    await settle(agent, stateDir);
  }
  if (clock.now() < at) clock.set(at);
  await settle(agent, stateDir);
}

interface Recorder {
  readonly changes: StateChange[];
  readonly requests: RequestMark[];
  readonly expiries: { at: number; licenseId: string }[];
  stop(): void;
}

/** Records the agent's transitions, refresh outcomes and effective tier, in ms after START. */
function record(agent: LicenseAgent, clock: SteppingClock): Recorder {
  const changes: StateChange[] = [];
  const requests: RequestMark[] = [];
  const expiries: { at: number; licenseId: string }[] = [];
  const since = () => clock.now() - START;
  let expiresAt: string | null = null;

  const onState = (message: unknown) => {
    const { region, to } = message as StateMessage;
    const state = to;
    const license = agent.license();
    const lapsed = state.startsWith('grace') || state === 'degraded';
    if (lapsed && license.expiresAt !== null && !expiries.some((expiry) => expiry.licenseId === license.licenseId)) {
      expiries.push({ at: Date.parse(license.expiresAt) - START, licenseId: license.licenseId ?? '?' });
    }
    changes.push({ region, at: since(), state });
  };
  const onRefresh = (message: unknown) => {
    const { ok, forced, error } = message as RefreshMessage;
    const now = agent.license().expiresAt;
    if (!ok) requests.push({ at: since(), forced, outcome: 'failed', reason: error?.status === undefined ? error?.code ?? 'unknown' : `HTTP ${error.status}` });
    else requests.push({ at: since(), forced, outcome: now !== expiresAt ? 'renewed' : 'not renewed' });
    expiresAt = now;
  };
  const onLicense = () => {
    const license = agent.license();
    changes.push({ region: 'tier', at: since(), state: license.degraded ? `${license.tier} (degraded)` : license.tier });
  };
  diagnostics_channel.subscribe(CHANNELS.state, onState);
  diagnostics_channel.subscribe(CHANNELS.refresh, onRefresh);
  agent.on('licenseChanged', onLicense);
  return {
    changes,
    requests,
    expiries,
    stop() {
      diagnostics_channel.unsubscribe(CHANNELS.state, onState);
      diagnostics_channel.unsubscribe(CHANNELS.refresh, onRefresh);
      agent.off('licenseChanged', onLicense);
    },
  };
}

/** The story's events, applied to the server at their instants. */
function storyEvents(server: LicenseServer, agent: LicenseAgent): ReadonlyArray<readonly [number, () => void]> {
  return [
    [STORY.outageFrom, () => server.respondWith(() => ({ status: 503, body: 'Service Unavailable' }))],
    [STORY.outageUntil, () => server.respondWith(undefined)],
    [
      STORY.stopsRenewingAt,
      () => {
        // The subscription ends: every answer from now on carries the expiry of the license in force.
        const expiresAt = agent.license().expiresAt as string;
        server.setApiKey(API_KEY, { ...RENEWED, exp: Date.parse(expiresAt) / 1000 });
      },
    ],
    [STORY.newLicenseAt, () => server.setApiKey(API_KEY, NEW_LICENSE)],
  ];
}

/** A RAM-backed directory where there is one: the agent fsyncs its cache and ledger at every refresh. */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

/** Runs the 60 days and returns what the agent did. Takes a few seconds of real time. */
export async function runTimeline(): Promise<TimelineRecord> {
  const clock = new SteppingClock(START);
  const server = await startLicenseServer({ apiKeys: { [API_KEY]: RENEWED }, now: () => clock.now() });
  const stateDir = await mkdtemp(path.join(scratchRoot(), 'softclient4es-timeline-'));
  const agent = createLicenseAgent({
    version: '1.0.0',
    apiKey: API_KEY,
    serverUrl: server.url,
    stateDir,
    trustedKeys: server.keys.jwks,
    logger: pino({ level: 'silent' }),
    env: {},
    clock,
    random: seededRandom(SEED),
  });
  const recorder = record(agent, clock);
  const world: World = { clock, agent, stateDir };
  try {
    await agent.start();
    for (const [at, happen] of storyEvents(server, agent)) {
      await advanceTo(world, START + at);
      happen();
    }
    await advanceTo(world, START + DURATION);
    if (recorder.requests.length !== server.requests.length) {
      throw new Error(`the server received ${server.requests.length} requests but the agent reported ${recorder.requests.length}`);
    }
    return { duration: DURATION, changes: recorder.changes, requests: recorder.requests, expiries: recorder.expiries, story: STORY };
  } finally {
    recorder.stop();
    await agent.stop();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}
