/**
 * A randomised, seeded soak in simulated time. fast-check draws sequences of server behaviours (ok,
 * a short license, 204, 503, 401, slow, a bad signature, a wrong sub, an older iat, 429 with
 * Retry-After) and time advances (seconds to days); the real agent runs against the reference
 * server through them, and after every step:
 * - the license in force (status and cache) verifies against the issuer's JWKS and is the license's;
 * - the server never has more than one request in flight;
 * - no two requests come closer than the smallest allowed backoff (30 s while unlicensed, 1 min
 *   before a forced refresh, else the regular interval × (1 − jitter); backoffs are jittered up to
 *   20% early) and a Retry-After is honoured;
 * - telemetry is in no body when disabled, and its counters never go down.
 * REFRESH LICENSE (refreshNow) is not generated: its requests are the operator's, not the schedule's.
 *
 * Each case prints its seed; fast-check prints the seed and path of a failure. Replay with
 * SOAK_SEED=<base seed> (case i runs seed + i), more runs with SOAK_RUNS=<n>, shrink a failure with
 * SOAK_SHRINK=1, and print every run with SOAK_TRACE=1.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/config/duration.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../schedule/support/world.js';
import { BEHAVIOURS } from './support/behaviours.js';
import { checkAdoptedLicense, checkAlive, checkBodies, checkGaps, checkOneInFlight } from './support/invariants.js';
import { startRun, startStage, type SoakRun, type SoakStage, type SoakStep } from './support/soak-world.js';

const BASE_SEED = Number(process.env['SOAK_SEED'] ?? 20_300_101);
/** Runs per API-key case; static-JWT runs are cheaper (no unlicensed backoff streaks) and get twice as many. */
const RUNS_PER_CASE = Number(process.env['SOAK_RUNS'] ?? 15);

const advance = fc.oneof(
  fc.integer({ min: 1, max: 120 }).map((n) => n * SECOND),
  fc.integer({ min: 1, max: 180 }).map((n) => n * MINUTE),
  fc.integer({ min: 1, max: 24 }).map((n) => n * HOUR),
  fc.integer({ min: 1, max: 2 }).map((n) => n * DAY),
);

const step: fc.Arbitrary<SoakStep> = fc.record({
  behaviour: fc.constantFrom(...BEHAVIOURS),
  advanceMs: advance,
  shortValidForMs: fc.integer({ min: 1, max: 10 * 24 }).map((n) => n * HOUR),
  retryAfterSeconds: fc.integer({ min: 1, max: 4 * 3_600 }),
  slowMs: fc.integer({ min: 1, max: 300 }).map((n) => n * SECOND),
  queries: fc.nat(5),
  joins: fc.nat(3),
});

function runs(mode: SoakRun['mode'], telemetry: boolean): fc.Arbitrary<SoakRun> {
  return fc.record({
    mode: fc.constant(mode),
    telemetry: fc.constant(telemetry),
    interval: fc.constantFrom('6h', '24h', '3d'),
    jitter: fc.constantFrom(0, 0.05, 0.1, 0.3),
    randomSeed: fc.integer(),
    steps: fc.array(step, { minLength: 2, maxLength: 8 }),
  });
}

async function playRun(stage: SoakStage, run: SoakRun): Promise<void> {
  const intervalMs = parseDuration(run.interval) as number;
  const [first] = run.steps as [SoakStep];
  const began = performance.now();
  const soak = await startRun(stage, run, first);
  try {
    const check = async () => {
      checkOneInFlight(stage.front.maxInFlight);
      checkAlive(soak);
      checkGaps(run, intervalMs, soak.exchanges());
      checkBodies(run, soak.exchanges(), soak.recorded);
      await checkAdoptedLicense(run, soak, stage.server.keys.jwks);
    };
    await check();
    for (const next of run.steps) {
      await soak.play(next);
      await check();
    }
  } finally {
    if (process.env['SOAK_TRACE'] !== undefined) {
      console.info(`soak run: ${soak.exchanges().length} requests in ${Math.round(performance.now() - began)} ms: ${JSON.stringify(run)}`);
    }
    await soak.stop();
  }
}

describe('the seeded soak (simulated time, real agent, reference server)', () => {
  let stage: SoakStage;
  beforeAll(async () => {
    stage = await startStage();
  });
  afterAll(async () => {
    await stage.close();
  });

  const cases = [
    { mode: 'api-key', telemetry: true },
    { mode: 'api-key', telemetry: false },
    { mode: 'static-jwt', telemetry: true },
    { mode: 'static-jwt', telemetry: false },
  ] as const;

  cases.forEach(({ mode, telemetry }, index) => {
    it(`holds every invariant in ${mode} mode with telemetry ${telemetry ? 'on' : 'off'}`, async () => {
      const seed = BASE_SEED + index;
      const numRuns = mode === 'api-key' ? RUNS_PER_CASE : 2 * RUNS_PER_CASE;
      console.info(`soak ${mode}/telemetry ${telemetry ? 'on' : 'off'}: seed ${seed}, ${numRuns} runs`);
      await fc.assert(
        fc.asyncProperty(runs(mode, telemetry), (run) => playRun(stage, run)),
        { seed, numRuns, endOnFailure: process.env['SOAK_SHRINK'] === undefined },
      );
      expect(stage.front.inFlight).toBe(0);
    }, 120_000);
  });
});
