/**
 * The statechart alone on a stepping simulated clock, for the schedule arithmetic: the fetch is a
 * stub that records when it ran and answers what the test says, so a test can walk days of
 * failures and retries in milliseconds and read the exact instants back.
 */
import { createActor, fromPromise } from 'xstate';
import {
  licenseAgentMachine,
  type AgentInput,
  type FetchInput,
  type FetchOutput,
} from '../../../machines/license-agent.machine.js';
import type { VerifiedLicense } from '../../../src/license/claims.js';
import { SteppingClock, T0 } from '../../support/clocks.js';
import { nextTurn, stepTo } from '../../support/timers.js';
import { DAY } from './world.js';

/** A validity log line the machine asked for: the stage it announces, and when (ms since T0). */
export interface ValidityLog {
  readonly at: number;
  readonly kind: 'month' | 'week' | 'expiringSoon' | 'grace' | 'degraded';
}

export interface FetchCall {
  /** Milliseconds since T0. */
  readonly at: number;
  readonly forced: boolean;
}

/** What the stubbed fetch does at `now`: resolve with a license (or `undefined`), or throw. */
export type Answer = (input: FetchInput, now: number) => FetchOutput;

/** A license as the machine sees it, issued at `issuedAt` and expiring at `expiresAt` (ms). */
export function licenseAt(issuedAt: number, expiresAt: number | undefined): VerifiedLicense {
  return {
    jwt: `jwt-issued-at-${issuedAt}`,
    claims: {
      sub: 'lic-pro',
      tier: 'Pro',
      features: [],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: null, max_joins: null },
      trial: false,
      iat: Math.floor(issuedAt / 1000),
      exp: expiresAt === undefined ? undefined : Math.floor(expiresAt / 1000),
      refresh_url: undefined,
      platform: undefined,
    },
  };
}

/** An HTTP failure as the net layer reports it. */
export function httpFailure(status: number, retryAfterMs?: number): Error {
  return Object.assign(new Error(`license server answered with HTTP ${status}`), { status, retryAfterMs });
}

export const API_KEY_INPUT: AgentInput = {
  mode: 'api-key',
  refreshEnabled: true,
  networkAllowed: true,
  gracePeriodMs: 14 * DAY,
  intervalMs: DAY,
  jitter: 0.05,
  license: undefined,
  lastRefreshAt: undefined,
  needsFirstLicense: true,
};

function validityPath(value: unknown): string {
  const validity = (value as { validity: unknown }).validity;
  if (typeof validity === 'string') return validity;
  const [parent, child] = Object.entries(validity as Record<string, string>)[0] as [string, string];
  return `${parent}.${child}`;
}

/** Starts the machine at T0 with a stubbed fetch; `stop()` it in `afterEach`. */
export function runMachine(options: { input?: Partial<AgentInput>; answer: Answer; random?: () => number }) {
  const clock = new SteppingClock(T0);
  const calls: FetchCall[] = [];
  let failuresLogged = 0;
  const validityLogs: ValidityLog[] = [];
  const logValidity = (kind: ValidityLog['kind']) => void validityLogs.push({ at: clock.now() - T0, kind });
  const machine = licenseAgentMachine.provide({
    actors: {
      fetchLicense: fromPromise<FetchOutput, FetchInput>(async ({ input }) => {
        calls.push({ at: clock.now() - T0, forced: input.forced });
        return options.answer(input, clock.now());
      }),
    },
    actions: {
      persistLicense: () => {},
      logRefreshFailure: () => {
        failuresLogged++;
      },
      logExpiryNotice: (_, params: { stage: 'month' | 'week' | 'expiringSoon' }) => logValidity(params.stage),
      logGrace: () => logValidity('grace'),
      logDegraded: () => logValidity('degraded'),
    },
  });
  const time = { now: () => clock.now(), random: options.random ?? (() => 0) };
  const actor = createActor(machine, { clock, input: { ...API_KEY_INPUT, ...options.input, time } });
  actor.start();

  /** A promise actor settles a few microtask turns after it was invoked. */
  async function settle(): Promise<void> {
    for (let turn = 0; turn < 5; turn++) await nextTurn();
  }

  const advanceTo = (at: number) => stepTo(clock, at, settle, 10_000);

  return {
    actor,
    clock,
    calls,
    failuresLogged: () => failuresLogged,
    validityLogs,
    advanceTo,
    state: () => (actor.getSnapshot().value as { refresh: string }).refresh,
    /** The validity region's leaf as a path: `valid.withinMonth`, `expiringSoon`, `grace.mid`, ... */
    validity: () => validityPath(actor.getSnapshot().value),
    stop: () => actor.stop(),
  };
}
