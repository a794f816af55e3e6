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
 * else the cache, else Community. The steps that happen later are here: a configured JWT that
 * lapses past grace hands over to the API key (`license.lapsed`, guard `canFallBackToApiKey`), and
 * a configured JWT replaced from outside (`license.replaced`: its license file changed, and the new
 * one verifies within grace) takes the place of the license in force, as it would at a restart.
 *
 * Two parallel regions:
 * - `refresh` decides when to ask the license server for a fresh license and what to do with the
 *   answer;
 * - `validity` follows the license in force through its life: `valid` (long-term, within a month,
 *   within a week), `expiringSoon` (under 48 h), `grace` (expired: early, then mid) and `degraded`
 *   (grace over: the server runs as Community until a refresh succeeds).
 */
import { assign, emit, fromPromise, raise, setup } from 'xstate';
import type { AgentContext, AgentEmitted, AgentEvent, ExpiryNoticeStage, FetchInput, FetchOutput, MachineInput, RefreshOutcome } from './context.js';
import { fetchingState } from './fetching-state.js';
import {
  expiresAtOf,
  firstRefreshAt,
  forcedRefreshAt,
  hasRefreshPath,
  nextRegularRefreshAt,
  scheduleAfterFailure,
  scheduleAfterReplacement,
} from './refresh-policy.js';
import { DAY, FORCED_RETRY_MS, expiryThresholdAt, isWithinExpiryThreshold } from './schedule.js';
import type { VerifiedLicense } from './license.js';
import { MONTH_NOTICE_MS, WEEK_NOTICE_MS, earlyGraceMs, validityLeafAt, type ValidityLeaf } from './validity.js';

export type {
  AgentContext,
  AgentEmitted,
  AgentEvent,
  AgentInput,
  AgentMode,
  ExpiryNoticeStage,
  FetchInput,
  FetchOutput,
  MachineInput,
  MachineTime,
  RefreshOutcome,
} from './context.js';
export { forcedRefreshAt, hasRefreshPath } from './refresh-policy.js';

function notProvided(name: string): never {
  throw new Error(`license agent machine: "${name}" is not provided`);
}

const CHECK_VALIDITY = '#licenseAgent.validity.checking';

/**
 * A license that comes in (a refresh's, or one that replaced it), or a jump of the clock, sends the validity region back through
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
    emitted: {} as AgentEmitted,
  },
  actors: {
    fetchLicense: fromPromise<FetchOutput, FetchInput>(async () => notProvided('fetchLicense')),
  },
  guards: {
    isNetworkOff: ({ context }) => !context.networkAllowed,
    hasNoRefreshPath: ({ context }) => !hasRefreshPath(context),
    canRefresh: ({ context }) => context.networkAllowed && hasRefreshPath(context),
    needsFirstLicense: ({ context }) => context.needsFirstLicense,
    broughtLicense: (_, params: { license: FetchOutput }) => params.license !== undefined,
    // Refresh disabled is SoftClient4ES's driver mode: one fetch at start (when a license is needed),
    // then no implicit request, whatever came of it. A manual refresh still goes out.
    isAutomaticRefreshOff: ({ context }) => !context.refreshEnabled,
    isForcedRefreshDue: ({ context }) => context.time.now() >= forcedRefreshAt(context),
    canFallBackToApiKey: ({ context }) => context.mode === 'static-jwt' && context.apiKeyFallback === true && context.networkAllowed,
    isValidity: ({ context }, params: { leaf: ValidityLeaf }) =>
      validityLeafAt(expiresAtOf(context), context.gracePeriodMs, context.time.now()) === params.leaf,
  },
  delays: {
    refreshInterval: ({ context }) => until(context, context.nextRefreshAt),
    forcedRefreshDue: ({ context }) => until(context, forcedRefreshAt(context)),
    // The first-license phase has one timer: its backoff (set on failure), or the 48-hour
    // threshold of a license that serves meanwhile, whichever comes first.
    firstLicenseRetry: ({ context }) => until(context, Math.min(context.nextRefreshAt, forcedRefreshAt(context))),
    monthBeforeExpiry: ({ context }) => until(context, expiry(context) - MONTH_NOTICE_MS),
    weekBeforeExpiry: ({ context }) => until(context, expiry(context) - WEEK_NOTICE_MS),
    expiryThreshold: ({ context }) => until(context, expiryThresholdAt(expiresAtOf(context))),
    expiry: ({ context }) => until(context, expiry(context)),
    earlyGraceEnd: ({ context }) => until(context, expiry(context) + earlyGraceMs(context.gracePeriodMs)),
    graceEnd: ({ context }) => until(context, expiry(context) + context.gracePeriodMs),
    dailyReminder: DAY,
  },
  actions: {
    /** A 204 ("no change") brings no license: the one in force stays. */
    adoptLicense: assign((_, params: { license: FetchOutput }) => (params.license ? { license: params.license } : {})),
    announceLicense: raise({ type: 'license.adopted' }),
    announceLapse: raise({ type: 'license.lapsed' }),
    reportOutcome: emit((_, params: RefreshOutcome) => ({ type: 'refresh.completed' as const, outcome: params })),
    /** From now on the API key is the license's source, as SoftClient4ES resolves it. */
    switchToApiKey: assign({ mode: 'api-key' as const, apiKeyFallback: false, failures: 0 }),
    /**
     * The replacement is the configured JWT from now on, verified and within grace: static-JWT mode,
     * as SoftClient4ES resolves it at start, with the API key (when one is configured: the agent is
     * in API-key mode, or could fall back to it) as its fallback again, and its own refresh schedule.
     */
    replaceLicense: assign(({ context }, params: { license: VerifiedLicense }) => ({
      license: params.license,
      mode: 'static-jwt' as const,
      apiKeyFallback: context.mode === 'api-key' || context.apiKeyFallback === true,
      ...scheduleAfterReplacement(context, params.license, context.time.now(), context.time.random()),
    })),
    recordSuccess: assign(({ context }) => {
      const now = context.time.now();
      return {
        lastRefreshAt: now,
        nextRefreshAt: nextRegularRefreshAt(context, now, now, context.time.random()),
        // A good answer that still expires within 48 h: ask again in an hour, not in a loop. One
        // that does not leaves the 48-hour timer in charge, to the minute.
        forcedNotBefore: isWithinExpiryThreshold(expiresAtOf(context), now) ? now + FORCED_RETRY_MS : now,
        failures: 0,
        lastAttemptAt: now,
      };
    }),
    recordFailure: assign(({ context }, params: { error: unknown; firstLicense: boolean }) => {
      const now = context.time.now();
      return { ...scheduleAfterFailure(context, params.error, now, context.time.random, params.firstLicense), lastAttemptAt: now };
    }),
    persistLicense: () => notProvided('persistLicense'),
    logRefreshFailure: (_, _params: { error: unknown; forced: boolean }) => notProvided('logRefreshFailure'),
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
      lastAttemptAt: undefined,
    };
  },
  states: {
    refresh: {
      initial: 'starting',
      on: {
        'agent.stop': '.stopped',
        // The configured JWT passed its grace period and an API key is configured too: fetch with it.
        'license.lapsed': { guard: 'canFallBackToApiKey', target: '.firstLicense', actions: 'switchToApiKey' },
        // The configured JWT was replaced: whatever was under way (a fetch for the license it replaced
        // included) gives way, and what comes next is decided afresh for the new one.
        'license.replaced': {
          target: '.deciding',
          actions: [{ type: 'replaceLicense', params: ({ event }) => ({ license: event.license }) }, 'announceLicense'],
        },
      },
      states: {
        /** Decides how the agent begins: offline, with its first license to fetch, or on schedule. */
        starting: {
          always: [
            { guard: 'isNetworkOff', target: 'offline' },
            { guard: 'hasNoRefreshPath', target: 'offline' },
            { guard: 'needsFirstLicense', target: 'firstLicense' },
            { target: 'deciding' },
          ],
        },
        /** Decides what comes next: after start-up and after every refresh attempt. */
        deciding: {
          always: [
            { guard: 'hasNoRefreshPath', target: 'offline' },
            { guard: 'isAutomaticRefreshOff', target: 'offline' },
            { guard: 'isForcedRefreshDue', target: 'forcedRefresh' },
            { target: 'scheduled' },
          ],
        },
        /**
         * No license fetched with this API key yet (a first start, a new key, a configured JWT that
         * lapsed): fetch one now, and after a failure retry on a short backoff (30 s doubling to
         * 15 min) rather than the daily tick. Ends with the first success.
         */
        firstLicense: {
          initial: 'fetching',
          states: {
            fetching: fetchingState({ id: 'firstLicenseFetch', forced: false, firstLicense: true }),
            retryWait: {
              // Driver mode: the one fetch at start is all; the license in force (or Community) stays.
              always: { guard: 'isAutomaticRefreshOff', target: '#licenseAgent.refresh.offline' },
              after: { firstLicenseRetry: 'fetching' },
              on: { 'refresh.now': 'fetching', 'clock.wake': { target: 'retryWait', reenter: true } },
            },
          },
        },
        /** No automatic refresh: no refresh path, network off, or refresh disabled. A manual one may still run. */
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
        refreshing: fetchingState({ id: 'regularFetch', forced: false, firstLicense: false }),
        /** The license expires within 48 hours (or has expired): refresh now, whatever the schedule says. */
        forcedRefresh: fetchingState({ id: 'forcedFetch', forced: true, firstLicense: false }),
        /**
         * The last refresh failed (and was logged on the way in): the current license stays in use
         * and the agent waits, as in `scheduled`, for the next tick or the forced retry's backoff.
         */
        retryWait: {
          always: { guard: 'isAutomaticRefreshOff', target: 'offline' },
          after: {
            refreshInterval: 'refreshing',
            forcedRefreshDue: 'forcedRefresh',
          },
          on: { 'refresh.now': 'refreshing', 'clock.wake': { target: 'retryWait', reenter: true } },
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
