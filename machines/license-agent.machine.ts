/**
 * The license agent's statechart: when to refresh the license, what to do with the answer, and how
 * to wait after a failure. This file is the specification of that behaviour and holds nothing else:
 * no I/O, no wall clock, no environment. Time and randomness come in through `MachineTime`; the
 * effects (`fetchLicense`, `persistLicense`, the log lines) are placeholders that `src/agent.ts`
 * provides with `machine.provide(...)`.
 *
 * The root is parallel so that license validity (valid, expiringSoon, grace, degraded) can live in a
 * region of its own beside `refresh`.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { VerifiedLicense } from '../src/license/claims.js';
import {
  FORCED_BACKOFF,
  FORCED_RETRY_MS,
  UNLICENSED_BACKOFF,
  backoffDelay,
  expiryThresholdAt,
  jitteredInterval,
} from './schedule.js';

export type AgentMode = 'api-key' | 'static-jwt' | 'community';

/** Where time and chance come from: the actor's clock and `Math.random` in production. */
export interface MachineTime {
  now(): number;
  random(): number;
}

/** What the agent knows when it starts: the validated config and what `start()` read from disk. */
export interface AgentInput {
  readonly mode: AgentMode;
  readonly refreshEnabled: boolean;
  readonly intervalMs: number;
  readonly jitter: number;
  /** The best verified license found at start-up (configured or cached), if any. */
  readonly license: VerifiedLicense | undefined;
  /** When that license was last refreshed successfully (from the cache), if known. */
  readonly lastRefreshAt: number | undefined;
  /**
   * API-key mode without a license fetched with this key: fetch at once, and back off quickly on
   * failure (whatever a configured static JWT may serve meanwhile).
   */
  readonly awaitingFirstLicense: boolean;
}

/** What a refresh attempt reports back to whoever asked for it (`refreshNow()`). */
export interface RefreshOutcome {
  readonly attempt: number;
  readonly ok: boolean;
  readonly forced: boolean;
  readonly at: number;
  readonly error: unknown;
}

export interface AgentContext {
  readonly mode: AgentMode;
  readonly refreshEnabled: boolean;
  readonly intervalMs: number;
  readonly jitter: number;
  readonly license: VerifiedLicense | undefined;
  readonly lastRefreshAt: number | undefined;
  readonly awaitingFirstLicense: boolean;
  /** The regular refresh is due at this instant (already jittered). */
  readonly nextRefreshAt: number;
  /** A forced refresh may not run before this instant: it keeps forced refreshes from looping. */
  readonly forcedNotBefore: number;
  /** Consecutive failed attempts; drives the backoff. */
  readonly failures: number;
  readonly attempts: number;
  readonly lastOutcome: RefreshOutcome | undefined;
}

export type AgentEvent = { type: 'refresh.now' } | { type: 'agent.stop' };

/** What the fetch actor gets: enough to pick the endpoint and the token. */
export interface FetchInput {
  readonly mode: AgentMode;
  readonly license: VerifiedLicense | undefined;
  readonly forced: boolean;
}

/** The fetch actor's result: a verified new license, or `undefined` when the server said "no change". */
export type FetchOutput = VerifiedLicense | undefined;

function notProvided(name: string): never {
  throw new Error(`license agent machine: "${name}" is not provided`);
}

function expiresAt(license: VerifiedLicense | undefined): number | undefined {
  const exp = license?.claims.exp;
  return exp === undefined ? undefined : exp * 1000;
}

/** True when the agent has a network path to refresh the license in its mode. */
export function hasRefreshPath(context: Pick<AgentContext, 'mode' | 'license'>): boolean {
  if (context.mode === 'api-key') return true;
  if (context.mode === 'static-jwt') return context.license?.claims.refresh_url !== undefined;
  return false;
}

/** The instant a forced refresh is due: the 48-hour threshold, but never before `forcedNotBefore`. */
export function forcedRefreshAt(context: Pick<AgentContext, 'license' | 'forcedNotBefore'>): number {
  return Math.max(expiryThresholdAt(expiresAt(context.license)), context.forcedNotBefore);
}

/** An HTTP 401/403: the server refused the key or license; retrying soon will not change its mind. */
function isRejection(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 403;
}

function retryAfterMs(error: unknown): number {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Builds the machine around a time source. Pure: the same time source gives the same behaviour. */
export function createLicenseAgentMachine(time: MachineTime) {
  const regularDelay = (context: AgentContext) => jitteredInterval(context.intervalMs, context.jitter, time.random());

  /** After a failure: when may each kind of refresh run again? */
  function scheduleAfterFailure(context: AgentContext, error: unknown, forced: boolean) {
    const now = time.now();
    const failures = context.failures + 1;
    const waitAtLeast = Math.min(retryAfterMs(error), context.intervalMs);
    // Keep the regular tick where it was unless it has passed: a failure never skips nor adds a tick.
    let nextRefreshAt = context.nextRefreshAt > now ? context.nextRefreshAt : now + regularDelay(context);
    let forcedNotBefore = now + backoffDelay(failures, FORCED_BACKOFF, time.random());
    if (context.awaitingFirstLicense && !isRejection(error)) {
      nextRefreshAt = now + backoffDelay(failures, UNLICENSED_BACKOFF, time.random());
    }
    if (isRejection(error)) forcedNotBefore = nextRefreshAt;
    nextRefreshAt = Math.max(nextRefreshAt, now + waitAtLeast);
    forcedNotBefore = Math.max(forcedNotBefore, now + waitAtLeast);
    return { failures, nextRefreshAt, forcedNotBefore, forced };
  }

  return setup({
    types: {
      context: {} as AgentContext,
      events: {} as AgentEvent,
      input: {} as AgentInput,
    },
    actors: {
      fetchLicense: fromPromise<FetchOutput, FetchInput>(async () => notProvided('fetchLicense')),
    },
    guards: {
      hasNoRefreshPath: ({ context }) => !hasRefreshPath(context),
      canRefresh: ({ context }) => hasRefreshPath(context),
      needsFirstLicense: ({ context }) => context.awaitingFirstLicense,
      isAutomaticRefreshOff: ({ context }) => !context.refreshEnabled && !context.awaitingFirstLicense,
      isForcedRefreshDue: ({ context }) => time.now() >= forcedRefreshAt(context),
    },
    delays: {
      refreshInterval: ({ context }) => Math.max(0, context.nextRefreshAt - time.now()),
      expiryThreshold: ({ context }) => Math.max(0, forcedRefreshAt(context) - time.now()),
    },
    actions: {
      adoptLicense: assign(({ context, event }) => {
        const received = (event as unknown as { output: FetchOutput }).output;
        return { license: received ?? context.license };
      }),
      recordSuccess: assign(({ context }, params: { forced: boolean }) => {
        const now = time.now();
        const attempt = context.attempts + 1;
        return {
          lastRefreshAt: now,
          nextRefreshAt: now + regularDelay(context),
          // Even a good answer may still expire within 48 h: ask again in an hour, not in a loop.
          forcedNotBefore: now + FORCED_RETRY_MS,
          failures: 0,
          awaitingFirstLicense: false,
          attempts: attempt,
          lastOutcome: { attempt, ok: true, forced: params.forced, at: now, error: undefined },
        };
      }),
      recordFailure: assign(({ context, event }, params: { forced: boolean }) => {
        const error = (event as unknown as { error: unknown }).error;
        const { failures, nextRefreshAt, forcedNotBefore } = scheduleAfterFailure(context, error, params.forced);
        const attempt = context.attempts + 1;
        return {
          failures,
          nextRefreshAt,
          forcedNotBefore,
          attempts: attempt,
          lastOutcome: { attempt, ok: false, forced: params.forced, at: time.now(), error },
        };
      }),
      persistLicense: () => notProvided('persistLicense'),
      logRefreshFailure: () => notProvided('logRefreshFailure'),
    },
  }).createMachine({
    id: 'licenseAgent',
    type: 'parallel',
    context: ({ input }) => {
      const now = time.now();
      const jittered = jitteredInterval(input.intervalMs, input.jitter, time.random());
      return {
        mode: input.mode,
        refreshEnabled: input.refreshEnabled,
        intervalMs: input.intervalMs,
        jitter: input.jitter,
        license: input.license,
        lastRefreshAt: input.lastRefreshAt,
        awaitingFirstLicense: input.awaitingFirstLicense,
        // The schedule survives restarts: due one interval after the last success, or now. A last
        // success "in the future" (the system clock stepped back) counts as now, not as a delay.
        nextRefreshAt: input.lastRefreshAt === undefined ? now : Math.min(input.lastRefreshAt, now) + jittered,
        forcedNotBefore: now,
        failures: 0,
        attempts: 0,
        lastOutcome: undefined,
      };
    },
    states: {
      refresh: {
        initial: 'idle',
        on: { 'agent.stop': '.stopped' },
        states: {
          /** Decides where to go: at start-up and after every refresh attempt. */
          idle: {
            always: [
              { guard: 'hasNoRefreshPath', target: 'offline' },
              { guard: 'needsFirstLicense', target: 'refreshing' },
              { guard: 'isAutomaticRefreshOff', target: 'offline' },
              { guard: 'isForcedRefreshDue', target: 'forcedRefresh' },
              { target: 'scheduled' },
            ],
          },
          /** No automatic refresh: no refresh path, or refresh disabled. A manual one may still run. */
          offline: {
            on: { 'refresh.now': { guard: 'canRefresh', target: 'refreshing' } },
          },
          /** Waiting for the regular tick or the 48-hour threshold, whichever comes first. */
          scheduled: {
            after: {
              refreshInterval: 'refreshing',
              expiryThreshold: 'forcedRefresh',
            },
            on: { 'refresh.now': 'refreshing' },
          },
          refreshing: {
            invoke: {
              id: 'regularFetch',
              src: 'fetchLicense',
              input: ({ context }) => ({ mode: context.mode, license: context.license, forced: false }),
              onDone: {
                target: 'idle',
                actions: ['adoptLicense', { type: 'recordSuccess', params: { forced: false } }, 'persistLicense'],
              },
              onError: {
                target: 'degradedWarning',
                actions: { type: 'recordFailure', params: { forced: false } },
              },
            },
          },
          /** The license expires within 48 hours: refresh now, whatever the regular schedule says. */
          forcedRefresh: {
            invoke: {
              id: 'forcedFetch',
              src: 'fetchLicense',
              input: ({ context }) => ({ mode: context.mode, license: context.license, forced: true }),
              onDone: {
                target: 'idle',
                actions: ['adoptLicense', { type: 'recordSuccess', params: { forced: true } }, 'persistLicense'],
              },
              onError: {
                target: 'degradedWarning',
                actions: { type: 'recordFailure', params: { forced: true } },
              },
            },
          },
          /**
           * The last refresh failed: the current license stays in use and the agent waits, as in
           * `scheduled`, for the next tick (or the backoff, while it has no license at all).
           */
          degradedWarning: {
            entry: 'logRefreshFailure',
            always: { guard: 'isAutomaticRefreshOff', target: 'offline' },
            after: {
              refreshInterval: 'refreshing',
              expiryThreshold: 'forcedRefresh',
            },
            on: { 'refresh.now': 'refreshing' },
          },
          stopped: { type: 'final' },
        },
      },
    },
  });
}

/** Time for a machine that is only read (diagrams, graph tools), never run. */
const UNRUN_TIME: MachineTime = { now: () => notProvided('time.now'), random: () => notProvided('time.random') };

/** The machine definition, for diagrams and graph tools. Run it through `createLicenseAgentMachine`. */
export const licenseAgentMachine = createLicenseAgentMachine(UNRUN_TIME);

export type LicenseAgentMachine = ReturnType<typeof createLicenseAgentMachine>;
