/**
 * The network-fault suite's harness, on top of the end-to-end one: an agent that already holds a
 * license (in either mode) and whose next refresh goes to a faulty endpoint, the checks every fault
 * shares (the license kept, the schedule intact, one request per tick), and an `afterEach` that
 * fails a test whose captured logs hold an API key, a JWT or an Authorization credential.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { EffectiveLicense, LicenseAgent, LicenseAgentOptions } from '../../../../src/index.js';
import { REFRESH_PATH, type LicenseServer, type LicenseTemplate } from '../../../../src/issuer/index.js';
import { gaps, nowSeconds, useE2E, waitFor, writeCache, type E2E } from '../../../e2e/support/harness.js';
import type { LogCapture } from '../../../support/logs.js';

export type Mode = 'api-key' | 'static-jwt';
export const MODES: readonly Mode[] = ['api-key', 'static-jwt'];

export const API_KEY = 'sk-faults_network_5b1e07c2';
/** The regular refresh interval of most tests: short enough to count ticks over a second or two. */
export const INTERVAL_MS = 400;
export const LICENSE: LicenseTemplate = { sub: 'lic-faults', tier: 'Pro', features: ['federation'] };

/** Anything shaped like a JWT (header and payload are base64url JSON objects). */
const JWT_SHAPE = /eyJ[\w-]+\.eyJ[\w-]+/;

export interface LicensedAgent {
  readonly agent: LicenseAgent;
  /** The effective license after start-up, before any refresh. */
  readonly license: EffectiveLicense;
  readonly jwt: string;
  /** When the first regular tick is due: one interval after the cached license was fetched. */
  readonly firstTickAt: number;
}

export interface LicensedAgentOptions {
  readonly mode: Mode;
  /** Origin of the endpoint: API-key mode's `serverUrl`, or static mode's `refresh_url` without its path. */
  readonly endpoint: string;
  /** Mints the license and lends the trusted keys. */
  readonly issuer: LicenseServer;
  readonly intervalMs?: number;
  /**
   * How soon after start-up the first regular tick comes (the cache is dated one interval before
   * it). Default 50 ms: the tests wait for ticks, not for the first interval.
   */
  readonly firstTickInMs?: number;
  /** Anything else the agent should be given (timeouts, `ca`). */
  readonly options?: Partial<LicenseAgentOptions>;
}

export interface NetworkFaults extends E2E {
  /** A reference license server that knows {@link API_KEY}; closed after the test. */
  referenceServer(): Promise<LicenseServer>;
  /**
   * Starts an agent that holds a Pro license fetched a little less than one interval ago (a cache,
   * and in static mode the same JWT as its license key), so that it makes no request at start-up
   * and its first refresh, at `endpoint`, is the regular tick `firstTickInMs` later.
   */
  licensedAgent(options: LicensedAgentOptions): Promise<LicensedAgent>;
  /** Adds a value that must never appear in the logs of this test. */
  secret(value: string): void;
  /** Registers a purpose-built server to close after the test (once its agents have stopped). */
  own<T extends { close(): Promise<void> }>(server: T): T;
}

/** Registers the hooks of a network-fault test file and returns its helpers. */
export function useNetworkFaults(): NetworkFaults {
  const secrets = new Set<string>();
  const owned: Array<{ close(): Promise<void> }> = [];
  const stateDirs: string[] = [];
  let logs: LogCapture | undefined;
  // Registered first so that it runs last, after the agents have stopped and written their last line.
  afterEach(async () => {
    await Promise.allSettled(owned.splice(0).map((server) => server.close()));
    // Retried: an agent stopped mid-request may still write into its state dir after stop()
    // resolves (see slow-server.test.ts); that bug has its own test and must not fail the others.
    await Promise.all(stateDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 5 })));
    const text = logs?.text() ?? '';
    const known = [...secrets];
    secrets.clear();
    logs = undefined;
    expectNoSecrets(text, known);
  });
  const e2e = useE2E();
  // The agent imports undici on its first request: load it now, so that the first test of a file
  // does not see its first request late by the import and misjudge the schedule.
  beforeAll(async () => {
    await import('undici');
  });
  beforeEach(() => {
    logs = e2e.logs;
    secrets.add(API_KEY);
  });

  return {
    get logs() {
      return e2e.logs;
    },
    server: (options) => e2e.server(options),
    stallingServer: () => e2e.stallingServer(),
    tempDir: () => e2e.tempDir(),
    agent: (options) => e2e.agent(options),
    secret: (value) => void secrets.add(value),
    own: (server) => (owned.push(server), server),
    referenceServer: () => e2e.server({ apiKeys: { [API_KEY]: LICENSE } }),
    async licensedAgent({ mode, endpoint, issuer, intervalMs = INTERVAL_MS, firstTickInMs = 50, options = {} }) {
      const jwt = await issuer.mint({
        ...LICENSE,
        iat: nowSeconds() - 60,
        ...(mode === 'static-jwt' ? { refresh_url: `${endpoint}${REFRESH_PATH}` } : {}),
      });
      secrets.add(jwt);
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-faults-'));
      stateDirs.push(stateDir);
      const firstTickAt = Date.now() + firstTickInMs;
      const fetchedAt = firstTickAt - intervalMs;
      await writeCache(stateDir, { jwt, fetchedAt, ...(mode === 'api-key' ? { apiKey: API_KEY } : {}) });
      const agent = e2e.agent({
        stateDir,
        trustedKeys: issuer.keys.jwks,
        refresh: { interval: `${intervalMs}ms` },
        random: () => 0,
        ...(mode === 'api-key' ? { apiKey: API_KEY, serverUrl: endpoint } : { licenseKey: jwt, refreshOrigins: [endpoint] }),
        ...options,
      });
      await agent.start();
      expect(agent.status()).toMatchObject({ mode, tier: 'Pro', licenseId: LICENSE.sub });
      return { agent, license: agent.license(), jwt, firstTickAt };
    },
  };
}

/** The log text holds none of `secrets`, nothing shaped like a JWT, and no Authorization credential. */
export function expectNoSecrets(text: string, secrets: readonly string[]): void {
  expect(secrets.filter((secret) => text.includes(secret)), 'a secret reached the logs').toEqual([]);
  expect(text, 'a JWT reached the logs').not.toMatch(JWT_SHAPE);
  expect(text, 'an Authorization credential reached the logs').not.toMatch(/Bearer |ApiKey /);
}

/** Waits for the first `count` failed-refresh warnings. */
export async function refreshWarnings(faults: NetworkFaults, count: number, timeoutMs: number) {
  await waitFor(() => faults.logs.refreshFailures().length >= count, timeoutMs, `${count} refresh warning(s)`);
  return faults.logs.refreshFailures();
}

/** Waits for the first `count` records at `level` whose message starts with `prefix`. */
export async function records(faults: NetworkFaults, level: number, prefix: string, count: number, timeoutMs: number) {
  const matching = () => faults.logs.at(level).filter((line) => line.msg.startsWith(prefix));
  await waitFor(() => matching().length >= count, timeoutMs, `${count} "${prefix}" record(s) at level ${level}`);
  return matching();
}

/**
 * Waits until the agent rests after a failed attempt, then checks that its next refresh is the
 * next regular tick: exactly one interval after the failure (the tests draw no jitter), neither
 * sooner (a retry) nor later (a skipped tick).
 */
export async function expectNextRegularTick(agent: LicenseAgent, intervalMs: number): Promise<void> {
  const status = await waitFor(() => {
    const current = agent.status();
    return current.state.endsWith('retryWait') && current.lastAttempt?.ok === false ? current : undefined;
  }, 3_000, 'the agent to rest after a failed attempt');
  expect(Date.parse(status.nextRefreshAt as string) - Date.parse(status.lastAttempt!.at)).toBe(intervalMs);
}

/**
 * Each gap between successive attempts is at least one interval: never a fraction of it (a retry
 * storm). The upper bound only catches a stuck schedule; it is loose because a loaded 2-core
 * machine delays timers, and {@link expectNextRegularTick} checks the exact instant anyway.
 */
export function expectOnePerTick(times: readonly number[], intervalMs: number, extraMs = 0): void {
  expect(times.length).toBeGreaterThanOrEqual(2);
  for (const gap of gaps(times)) {
    expect(gap).toBeGreaterThanOrEqual(intervalMs - 25);
    expect(gap).toBeLessThan(intervalMs + extraMs + 600);
  }
}

/** The license in force is the very one the agent started with. */
export function expectLicenseKept(agent: LicenseAgent, license: EffectiveLicense): void {
  expect(agent.license()).toBe(license);
  expect(agent.status()).toMatchObject({ tier: 'Pro', licenseId: LICENSE.sub });
}
