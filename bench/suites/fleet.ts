/**
 * Benchmark 6, the fleet: 10,000 agents in one process, started at the same simulated instant,
 * over 3 simulated days, with a virtual transport (this measures scheduling, not sockets). Each
 * agent is the statechart actor built exactly as `createLicenseAgent` builds it (`createAgentActor`:
 * the process's one machine definition, the agent's own effects and time) with the fetch replaced
 * by a promise that records the request at the license side and answers with a fresh license; all
 * share one simulated clock. Run with the default jitter, then with jitter 0.
 *
 * Memory per idle agent is measured for those statechart actors (heap after GC / N, idle between
 * waves), for real agents (`createLicenseAgent`, started from a valid cached license, idle until
 * their next refresh), which is what an embedding server pays, and, for comparison, for actors that
 * each build a machine definition of their own (`licenseAgentMachine.provide(...)` per agent).
 */
import { existsSync } from 'node:fs';
import { createActor, fromPromise, type AnyActorRef } from 'xstate';
import { licenseAgentMachine, type FetchInput, type FetchOutput } from '../.build/modules/machines/license-agent.machine.js';
import { createAgentActor } from '../.build/modules/src/agent/machine.js';
import { createLicenseAgent, type LicenseAgent, type VerifiedLicense } from '../.build/src/index.js';
import { generateIssuerKeys, mintLicense } from '../.build/src/issuer/index.js';
import { API_KEY, DAY, silentLogger, T0, tempDir, VERSION, writeLicenseCache } from '../lib/fixtures.js';
import { FleetClock } from '../lib/fleet-clock.js';
import { row, type Row } from '../lib/report.js';
import { formatBytes, formatDuration, formatPercent, formatRatio } from '../lib/stats.js';
import { heapAfterGc, nextTurn, progress, runSuite } from '../lib/suite.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 10_000);
const REAL_AGENTS = Number(process.env.BENCH_REAL_AGENTS ?? 2_000);
const DAYS = 3;
const DEFAULT_JITTER = 0.05;
const PEAK_SHARE_TARGET = 0.01;
const IDLE_HEAP_TARGET_BYTES = 64 * 1024;
const LICENSE_DAYS = 30;
const MAX_WAVES = DAYS + 2;
const noop = () => {};

interface Wave {
  readonly wave: number;
  readonly requests: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly spreadMs: number;
  readonly busiestSecond: number;
  readonly busiestSecondAt: number;
}

interface FleetRun {
  readonly jitter: number;
  readonly waves: readonly Wave[];
  readonly idleHeapPerAgent: number;
  readonly elapsedMs: number;
}

/** The license side's log: when each request came, and which of its agent's requests it was. */
class RequestLog {
  readonly at = new Float64Array(FLEET * (MAX_WAVES + 2));
  readonly wave = new Uint8Array(FLEET * (MAX_WAVES + 2));
  readonly #perAgent = new Uint8Array(FLEET);
  count = 0;

  record(agent: number, at: number): void {
    const wave = ++this.#perAgent[agent]!;
    this.at[this.count] = at;
    this.wave[this.count] = wave;
    this.count++;
  }

  waves(): Wave[] {
    const result: Wave[] = [];
    for (let wave = 1; wave <= MAX_WAVES; wave++) {
      const perSecond = new Map<number, number>();
      let requests = 0;
      let firstAt = Infinity;
      let lastAt = -Infinity;
      for (let i = 0; i < this.count; i++) {
        if (this.wave[i] !== wave) continue;
        const at = this.at[i] as number;
        requests++;
        firstAt = Math.min(firstAt, at);
        lastAt = Math.max(lastAt, at);
        const second = Math.floor((at - T0) / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      if (requests === 0) continue;
      let busiestSecond = 0;
      let busiestSecondAt = 0;
      for (const [second, count] of perSecond) {
        if (count > busiestSecond) {
          busiestSecond = count;
          busiestSecondAt = second;
        }
      }
      result.push({ wave, requests, firstAt: firstAt - T0, lastAt: lastAt - T0, spreadMs: lastAt - firstAt, busiestSecond, busiestSecondAt });
    }
    return result;
  }
}

/** A license as the verifier hands it over: a fresh JWT-sized string and its claims, frozen. */
function licenseAt(now: number, jwt: string): VerifiedLicense {
  const iat = Math.floor(now / 1000);
  return Object.freeze({
    jwt: Buffer.from(jwt, 'latin1').toString('latin1'),
    claims: {
      sub: 'lic-fleet',
      tier: 'Pro' as const,
      features: ['federation'],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
      trial: false,
      iat,
      exp: iat + LICENSE_DAYS * 86_400,
      refresh_url: undefined,
      platform: undefined,
    },
  });
}

function fleetInput(jitter: number) {
  return {
    mode: 'api-key' as const,
    refreshEnabled: true,
    networkAllowed: true,
    intervalMs: DAY,
    jitter,
    gracePeriodMs: 14 * DAY,
    license: undefined,
    lastRefreshAt: undefined,
    needsFirstLicense: true,
  };
}

const NO_EFFECTS = { persistLicense: noop, logRefreshFailure: noop, logExpiryNotice: noop, logGrace: noop, logDegraded: noop, onEffectError: noop };

/**
 * The fleet's scheduling run: 10,000 actors of the process's one machine definition, each with
 * effects and a time source of its own, as `createLicenseAgent` builds them.
 */
async function runFleet(jitter: number, jwt: string): Promise<FleetRun> {
  const started = performance.now();
  const clock = new FleetClock(T0);
  const log = new RequestLog();
  const time = { now: () => clock.now(), random: Math.random };
  const before = heapAfterGc();
  const actors: AnyActorRef[] = [];
  for (let agent = 0; agent < FLEET; agent++) {
    const effects = {
      ...NO_EFFECTS,
      fetchLicense: async () => {
        log.record(agent, clock.now());
        return licenseAt(clock.now(), jwt);
      },
    };
    const actor = createAgentActor(effects, { clock, input: { ...fleetInput(jitter), time } });
    actors.push(actor);
    actor.start();
  }
  const settle = nextTurn;
  await settle();
  // Idle: half a day after the first wave, every agent waiting for its next refresh.
  await clock.advanceTo(T0 + DAY / 2, settle);
  const idle = actors.filter((actor) => (actor.getSnapshot() as { value: { refresh: string } }).value.refresh === 'scheduled').length;
  if (idle !== FLEET) throw new Error(`${FLEET - idle} agents are not idle half a day after start`);
  clock.compact();
  const idleHeapPerAgent = (heapAfterGc() - before) / FLEET;
  await clock.advanceTo(T0 + DAYS * DAY, settle);
  for (const actor of actors) actor.stop();
  return { jitter, waves: log.waves(), idleHeapPerAgent, elapsedMs: performance.now() - started };
}

/**
 * For comparison: heap per idle statechart actor when each agent builds a machine definition of
 * its own (`licenseAgentMachine.provide(...)` per agent, as the agent once did).
 */
async function ownMachineHeap(jwt: string): Promise<number> {
  const clock = new FleetClock(T0);
  const time = { now: () => clock.now(), random: Math.random };
  const build = () =>
    createActor(
      licenseAgentMachine.provide({
        actors: { fetchLicense: fromPromise<FetchOutput, FetchInput>(async () => licenseAt(clock.now(), jwt)) },
        actions: NO_EFFECTS,
      }),
      { clock, input: { ...fleetInput(DEFAULT_JITTER), time } },
    );
  build().start();
  const before = heapAfterGc();
  const actors = Array.from({ length: REAL_AGENTS }, () => build().start());
  await clock.advanceTo(T0 + DAY / 2, nextTurn);
  clock.compact();
  const perAgent = (heapAfterGc() - before) / REAL_AGENTS;
  for (const actor of actors) actor.stop();
  return perAgent;
}

/** Heap per idle real agent: started from a valid cached license, waiting for its next refresh. */
async function realAgentHeap(jwt: string, jwks: Parameters<typeof createLicenseAgent>[0]['trustedKeys']): Promise<number> {
  const state = await tempDir('fleet-real', existsSync('/dev/shm') ? '/dev/shm' : undefined);
  await writeLicenseCache(state.dir, { jwt, licenseId: 'lic-fleet', fetchedAt: T0 - 3_600_000, apiKey: API_KEY });
  const clock = new FleetClock(T0);
  const logger = silentLogger();
  const options = {
    version: VERSION,
    apiKey: API_KEY,
    // Never contacted: the cached license is valid and its next refresh is a day away.
    serverUrl: 'http://127.0.0.1:9',
    stateDir: state.dir,
    trustedKeys: jwks,
    logger,
    env: {},
    clock,
  };
  // One agent first, so that the code it runs is compiled before the heap is measured.
  const first = createLicenseAgent(options);
  await first.start();
  const before = heapAfterGc();
  const agents: LicenseAgent[] = [];
  for (let i = 0; i < REAL_AGENTS; i += 100) {
    const batch = Array.from({ length: 100 }, () => createLicenseAgent(options));
    agents.push(...batch);
    await Promise.all(batch.map((agent) => agent.start()));
  }
  const after = heapAfterGc();
  const idle = agents.filter((agent) => agent.status().state === 'scheduled' && agent.license().tier === 'Pro').length;
  if (idle !== REAL_AGENTS) throw new Error(`${REAL_AGENTS - idle} real agents are not idle with the cached license`);
  await Promise.all([first, ...agents].map((agent) => agent.stop()));
  await state.remove();
  return (after - before) / REAL_AGENTS;
}

function waveCell(wave: Wave | undefined): string {
  if (!wave) return '—';
  return `${wave.busiestSecond}/s peak, spread ${formatDuration(wave.spreadMs)}`;
}

runSuite(async () => {
  const keys = await generateIssuerKeys();
  // A real token's size; its claims do not matter to the virtual transport, its length does to memory.
  const jwt = await mintLicense(keys, { sub: 'lic-fleet', tier: 'Pro', features: ['federation'] }, { now: T0 - 3_600_000 });

  progress(`real agents: ${REAL_AGENTS} createLicenseAgent() started from a cached license`);
  const realPerAgent = await realAgentHeap(jwt, keys.jwks);
  progress(`statechart actors with a machine definition each: ${REAL_AGENTS}`);
  const ownMachinePerAgent = await ownMachineHeap(jwt);
  progress(`fleet: ${FLEET} agents, default jitter (${DEFAULT_JITTER}), ${DAYS} simulated days`);
  const jittered = await runFleet(DEFAULT_JITTER, jwt);
  progress(`fleet: ${FLEET} agents, jitter 0, ${DAYS} simulated days`);
  const lockstep = await runFleet(0, jwt);

  const later = (run: FleetRun) => run.waves.filter((wave) => wave.wave > 1);
  const peak = (run: FleetRun) => Math.max(...later(run).map((wave) => wave.busiestSecond));
  const oursPeak = peak(jittered);
  const basePeak = peak(lockstep);
  for (const run of [jittered, lockstep]) {
    const expected = FLEET * (DAYS + 1);
    const total = run.waves.reduce((sum, wave) => sum + wave.requests, 0);
    if (later(run).length < DAYS || total > expected) throw new Error(`jitter ${run.jitter}: ${total} requests in ${run.waves.length} waves`);
  }

  const rows: Row[] = [
    row(6, `fleet of ${FLEET.toLocaleString('en')}: busiest second, daily waves after the first (jitter 5 % vs 0)`, {
      ours: `${oursPeak} req/s (${formatPercent(oursPeak / FLEET)})`,
      baseline: `${basePeak} req/s (${formatPercent(basePeak / FLEET)})`,
      ratio: formatRatio(oursPeak / basePeak),
      target: `≤ 1 % of the fleet (${PEAK_SHARE_TARGET * FLEET}/s)`,
      pass: oursPeak <= PEAK_SHARE_TARGET * FLEET,
      values: { oursPeak, baselinePeak: basePeak, fleet: FLEET },
    }),
  ];
  for (const wave of jittered.waves) {
    const flat = lockstep.waves.find((w) => w.wave === wave.wave);
    rows.push(row(6, `fleet wave ${wave.wave} (${wave.wave === 1 ? 'start-up, all at once' : `day ${wave.wave - 1}`}): ${wave.requests} requests`, {
      ours: waveCell(wave),
      baseline: waveCell(flat),
      ratio: '—',
      target: '—',
      pass: null,
      values: { oursBusiest: wave.busiestSecond, oursSpreadMs: wave.spreadMs, baselineBusiest: flat?.busiestSecond ?? null, baselineSpreadMs: flat?.spreadMs ?? null },
    }));
  }
  rows.push(row(6, `idle agent heap: createLicenseAgent() × ${REAL_AGENTS.toLocaleString('en')}, after GC / N`, {
    ours: formatBytes(realPerAgent),
    baseline: '—',
    ratio: '—',
    target: '≤ 64 KiB',
    pass: realPerAgent <= IDLE_HEAP_TARGET_BYTES,
    values: { realAgentBytes: realPerAgent, realAgents: REAL_AGENTS, statechartActorBytes: jittered.idleHeapPerAgent },
  }));
  rows.push(row(6, 'idle agent heap: statechart actor with a machine definition of its own (former build)', {
    ours: formatBytes(ownMachinePerAgent),
    baseline: '—',
    ratio: '—',
    target: '—',
    pass: null,
    values: { bytes: ownMachinePerAgent, count: REAL_AGENTS },
  }));
  rows.push(row(6, 'idle agent heap: statechart actor of the shared machine definition (createAgentActor)', {
    ours: formatBytes(jittered.idleHeapPerAgent),
    baseline: '—',
    ratio: '—',
    target: '—',
    pass: null,
    values: { bytes: jittered.idleHeapPerAgent, lockstepBytes: lockstep.idleHeapPerAgent },
  }));
  return { suite: 'fleet', rows, details: { fleet: FLEET, realAgents: REAL_AGENTS, realAgentBytes: realPerAgent, ownMachineBytes: ownMachinePerAgent, jittered, lockstep } };
});
