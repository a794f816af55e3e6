/**
 * The license agent's statechart, the specification of its behaviour and nothing else: no I/O, no
 * wall clock, no environment. Time and randomness come in with the input (`MachineInput.time`) and
 * live in the context, so one definition serves every agent of a process; the effects (the fetch,
 * persisting the license, the log lines) are placeholders that `src/agent/machine.ts` provides with
 * `machine.provide(...)`.
 *
 * Which license is in force at start is resolved in SoftClient4ES's order (see `src/agent/startup.ts`,
 * which reads the candidates from disk): a configured JWT that verifies and is within grace, else
 * the API key's fetch (a cache fetched with the same key less than an interval ago stands in for it),
 * else the cache, else Community. The one step that happens later is here: a configured JWT that
 * lapses past grace hands over to the API key (`license.lapsed`, guard `canFallBackToApiKey`).
 *
 * Two parallel regions:
 * - `refresh` decides when to ask the license server for a fresh license and what to do with the
 *   answer;
 * - `validity` follows the license in force through its life: `valid` (long-term, within a month,
 *   within a week), `expiringSoon` (under 48 h), `grace` (expired: early, then mid) and `degraded`
 *   (grace over: the server runs as Community until a refresh succeeds).
 */
import { assign, fromPromise, raise, setup } from 'xstate';
import type { AgentContext, AgentEvent, ExpiryNoticeStage, FetchInput, FetchOutput, MachineInput } from './context.js';
import {
  expiresAtOf,
  firstRefreshAt,
  forcedRefreshAt,
  hasRefreshPath,
  nextRegularRefreshAt,
  scheduleAfterFailure,
} from './refresh-policy.js';
import { DAY, FORCED_RETRY_MS, expiryThresholdAt, isWithinExpiryThreshold } from './schedule.js';
import { MONTH_NOTICE_MS, WEEK_NOTICE_MS, earlyGraceMs, validityLeafAt, type ValidityLeaf } from './validity.js';

export type { AgentContext, AgentEvent, AgentInput, AgentMode, ExpiryNoticeStage, FetchInput, FetchOutput, MachineInput, MachineTime, RefreshOutcome } from './context.js';
export { forcedRefreshAt, hasRefreshPath } from './refresh-policy.js';

function notProvided(name: string): never {
  throw new Error(`license agent machine: "${name}" is not provided`);
}

const CHECK_VALIDITY = '#licenseAgent.validity.checking';

/**
 * A refresh that brings a license, or a jump of the clock, sends the validity region back through
 * `checking`: the stage is decided afresh and every timer re-armed against the clock. (Re-entering
 * the same stage does not repeat its notice: the log effects say each notice once per stage, and
 * the daily ones once a day.)
 */
const RECHECK = { 'license.adopted': CHECK_VALIDITY, 'clock.wake': CHECK_VALIDITY } as const;

/** Milliseconds from the context's clock to `instant` (0 once it has passed). */
const until = (context: AgentContext, instant: number) => Math.max(0, instant - context.time.now());
const expiry = (context: AgentContext) => expiresAtOf(context) ?? Number.POSITIVE_INFINITY;

/**
 * The license agent's statechart. Pure: the same input (time source included) gives the same
 * behaviour. Defined once per process: a definition is some 50 KiB of state nodes, which each agent
 * would otherwise pay for again (`src/agent/machine.ts` provides it once more, for all agents).
 */
export const licenseAgentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as MachineInput,
  },
  actors: {
    fetchLicense: fromPromise<FetchOutput, FetchInput>(async () => notProvided('fetchLicense')),
  },
  guards: {
    hasNoRefreshPath: ({ context }) => !context.networkAllowed || !hasRefreshPath(context),
    canRefresh: ({ context }) => context.networkAllowed && hasRefreshPath(context),
    needsFirstLicense: ({ context }) => context.awaitingFirstLicense,
    // Refresh disabled is SoftClient4ES's driver mode: one fetch at start (when a license is needed),
    // then no implicit request, whatever came of it. A manual refresh still goes out.
    isAutomaticRefreshOff: ({ context }) => !context.refreshEnabled && (!context.awaitingFirstLicense || context.attempts > 0),
    isForcedRefreshDue: ({ context }) => context.time.now() >= forcedRefreshAt(context),
    canFallBackToApiKey: ({ context }) => context.mode === 'static-jwt' && context.apiKeyFallback === true && context.networkAllowed,
    isValidity: ({ context }, params: { leaf: ValidityLeaf }) =>
      validityLeafAt(expiresAtOf(context), context.gracePeriodMs, context.time.now()) === params.leaf,
  },
  delays: {
    refreshInterval: ({ context }) => until(context, context.nextRefreshAt),
    forcedRefreshDue: ({ context }) => until(context, forcedRefreshAt(context)),
    monthBeforeExpiry: ({ context }) => until(context, expiry(context) - MONTH_NOTICE_MS),
    weekBeforeExpiry: ({ context }) => until(context, expiry(context) - WEEK_NOTICE_MS),
    expiryThreshold: ({ context }) => until(context, expiryThresholdAt(expiresAtOf(context))),
    expiry: ({ context }) => until(context, expiry(context)),
    earlyGraceEnd: ({ context }) => until(context, expiry(context) + earlyGraceMs(context.gracePeriodMs)),
    graceEnd: ({ context }) => until(context, expiry(context) + context.gracePeriodMs),
    dailyReminder: DAY,
  },
  actions: {
    adoptLicense: assign(({ context, event }) => {
      const received = (event as unknown as { output: FetchOutput }).output;
      return { license: received ?? context.license };
    }),
    announceLicense: raise({ type: 'license.adopted' }),
    announceLapse: raise({ type: 'license.lapsed' }),
    /** From now on the API key is the license's source, as SoftClient4ES resolves it. */
    switchToApiKey: assign({ mode: 'api-key' as const, awaitingFirstLicense: true, apiKeyFallback: false, failures: 0 }),
    recordSuccess: assign(({ context }, params: { forced: boolean }) => {
      const now = context.time.now();
      const attempt = context.attempts + 1;
      return {
        lastRefreshAt: now,
        nextRefreshAt: nextRegularRefreshAt(context, now, now, context.time.random()),
        // A good answer that still expires within 48 h: ask again in an hour, not in a loop. One
        // that does not leaves the 48-hour timer in charge, to the minute.
        forcedNotBefore: isWithinExpiryThreshold(expiresAtOf(context), now) ? now + FORCED_RETRY_MS : now,
        failures: 0,
        awaitingFirstLicense: false,
        attempts: attempt,
        lastOutcome: { attempt, ok: true, forced: params.forced, at: now, error: undefined },
      };
    }),
    recordFailure: assign(({ context, event }, params: { forced: boolean }) => {
      const error = (event as unknown as { error: unknown }).error;
      const now = context.time.now();
      const attempt = context.attempts + 1;
      return {
        ...scheduleAfterFailure(context, error, now, context.time.random),
        attempts: attempt,
        lastOutcome: { attempt, ok: false, forced: params.forced, at: now, error },
      };
    }),
    persistLicense: () => notProvided('persistLicense'),
    logRefreshFailure: () => notProvided('logRefreshFailure'),
    logExpiryNotice: (_, _params: { stage: ExpiryNoticeStage }) => notProvided('logExpiryNotice'),
    logGrace: () => notProvided('logGrace'),
    logDegraded: () => notProvided('logDegraded'),
  },
}).createMachine({
  id: 'licenseAgent',
  type: 'parallel',
  context: ({ input }) => {
    const now = input.time.now();
    return {
      ...input,
      nextRefreshAt: firstRefreshAt(input, now, input.time.random()),
      forcedNotBefore: now,
      failures: 0,
      attempts: 0,
      lastOutcome: undefined,
    };
  },
  states: {
    refresh: {
      initial: 'idle',
      on: {
        'agent.stop': '.stopped',
        // The configured JWT passed its grace period and an API key is configured too: fetch with it.
        'license.lapsed': { guard: 'canFallBackToApiKey', target: '.refreshing', actions: 'switchToApiKey' },
      },
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
            forcedRefreshDue: 'forcedRefresh',
          },
          // After a clock jump, re-enter to re-arm both timers against the clock.
          on: { 'refresh.now': 'refreshing', 'clock.wake': { target: 'scheduled', reenter: true } },
        },
        refreshing: {
          invoke: {
            id: 'regularFetch',
            src: 'fetchLicense',
            input: ({ context, event }) => ({
              mode: context.mode,
              license: context.license,
              forced: false,
              manual: event.type === 'refresh.now',
              lastRefreshAt: context.lastRefreshAt,
            }),
            onDone: {
              target: 'idle',
              actions: ['adoptLicense', { type: 'recordSuccess', params: { forced: false } }, 'persistLicense', 'announceLicense'],
            },
            onError: {
              target: 'degradedWarning',
              actions: [{ type: 'recordFailure', params: { forced: false } }, 'logRefreshFailure'],
            },
          },
        },
        /** The license expires within 48 hours (or has expired): refresh now, whatever the schedule says. */
        forcedRefresh: {
          invoke: {
            id: 'forcedFetch',
            src: 'fetchLicense',
            input: ({ context }) => ({
              mode: context.mode,
              license: context.license,
              forced: true,
              manual: false,
              lastRefreshAt: context.lastRefreshAt,
            }),
            onDone: {
              target: 'idle',
              actions: ['adoptLicense', { type: 'recordSuccess', params: { forced: true } }, 'persistLicense', 'announceLicense'],
            },
            onError: {
              target: 'degradedWarning',
              actions: [{ type: 'recordFailure', params: { forced: true } }, 'logRefreshFailure'],
            },
          },
        },
        /**
         * The last refresh failed (and was logged on the way in): the current license stays in use
         * and the agent waits, as in `scheduled`, for the next tick (or the backoff, while it has
         * no license at all).
         */
        degradedWarning: {
          always: { guard: 'isAutomaticRefreshOff', target: 'offline' },
          after: {
            refreshInterval: 'refreshing',
            forcedRefreshDue: 'forcedRefresh',
          },
          on: { 'refresh.now': 'refreshing', 'clock.wake': { target: 'degradedWarning', reenter: true } },
        },
        stopped: { type: 'final' },
      },
    },
    validity: {
      initial: 'checking',
      on: { 'agent.stop': '.stopped', ...RECHECK },
      states: {
        /** Decides the stage from the license's expiry and the clock: at start-up and on every re-check. */
        checking: {
          always: [
            { guard: { type: 'isValidity', params: { leaf: 'degraded' } }, target: 'degraded' },
            { guard: { type: 'isValidity', params: { leaf: 'mid' } }, target: 'grace.mid' },
            { guard: { type: 'isValidity', params: { leaf: 'early' } }, target: 'grace.early' },
            { guard: { type: 'isValidity', params: { leaf: 'expiringSoon' } }, target: 'expiringSoon' },
            { guard: { type: 'isValidity', params: { leaf: 'withinWeek' } }, target: 'valid.withinWeek' },
            { guard: { type: 'isValidity', params: { leaf: 'withinMonth' } }, target: 'valid.withinMonth' },
            { target: 'valid.longTerm' },
          ],
        },
        /** The license is in force and more than 48 hours from expiry (or never expires). */
        valid: {
          initial: 'longTerm',
          states: {
            longTerm: {
              after: { monthBeforeExpiry: CHECK_VALIDITY },
            },
            withinMonth: {
              entry: { type: 'logExpiryNotice', params: { stage: 'month' } },
              after: { weekBeforeExpiry: CHECK_VALIDITY },
            },
            /** The last week: a warning every day, and refreshes at least every 6 hours. */
            withinWeek: {
              entry: { type: 'logExpiryNotice', params: { stage: 'week' } },
              after: {
                expiryThreshold: CHECK_VALIDITY,
                // Each day: re-check, which says the week's warning again (or moves on, if late).
                dailyReminder: CHECK_VALIDITY,
              },
            },
          },
        },
        /** Under 48 hours left: the refresh region forces refreshes; the paid tier still applies. */
        expiringSoon: {
          entry: { type: 'logExpiryNotice', params: { stage: 'expiringSoon' } },
          after: { expiry: CHECK_VALIDITY },
        },
        /** Expired, inside the grace period: the paid tier still applies; a warning a day. */
        grace: {
          entry: 'logGrace',
          after: {
            graceEnd: CHECK_VALIDITY,
            dailyReminder: CHECK_VALIDITY,
          },
          initial: 'early',
          states: {
            early: {
              after: { earlyGraceEnd: 'mid' },
            },
            mid: {},
          },
        },
        /** Grace is over: the effective license is Community until a refresh brings a valid one. */
        degraded: {
          entry: ['logDegraded', 'announceLapse'],
        },
        stopped: { type: 'final' },
      },
    },
  },
});

export type LicenseAgentMachine = typeof licenseAgentMachine;
