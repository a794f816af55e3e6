/**
 * The refresh region's decisions about time: when the next regular refresh is due, when a forced
 * one may run, and where a failure leaves both. Pure functions of the context, the time and a
 * random draw.
 */
import type { AgentContext } from './context.js';
import type { VerifiedLicense } from './license.js';
import {
  FORCED_BACKOFF,
  UNLICENSED_BACKOFF,
  backoffDelay,
  expiryThresholdAt,
  isWithinExpiryThreshold,
  jitteredInterval,
} from './schedule.js';
import { LAST_WEEK_MAX_INTERVAL_MS, WEEK_NOTICE_MS, expiresAtMs, regularIntervalAt } from './validity.js';

type LicenseFacts = Pick<AgentContext, 'license'>;

/** When the context's license expires (see `expiresAtMs`); `undefined` with no license or no expiry. */
export function expiresAtOf(context: LicenseFacts): number | undefined {
  return context.license ? expiresAtMs(context.license.claims) : undefined;
}

/** True when the agent has a network path to refresh the license in its mode. */
export function hasRefreshPath(context: Pick<AgentContext, 'mode' | 'license'>): boolean {
  if (context.mode === 'api-key') return true;
  if (context.mode === 'static-jwt') return context.license?.claims.refresh_url !== undefined;
  return false;
}

/** The instant a forced refresh is due: the 48-hour threshold, but never before `forcedNotBefore`. */
export function forcedRefreshAt(context: Pick<AgentContext, 'license' | 'forcedNotBefore'>): number {
  return Math.max(expiryThresholdAt(expiresAtOf(context)), context.forcedNotBefore);
}

/**
 * The next regular refresh after one at `from`: one (jittered) interval later, the interval being
 * at most 6 hours inside the license's last week, and never later than the start of that week, so
 * that the tighter cadence begins on time.
 */
export function nextRegularRefreshAt(
  context: Pick<AgentContext, 'license' | 'intervalMs' | 'jitter'>,
  from: number,
  now: number,
  random: number,
): number {
  const expiresAt = expiresAtOf(context);
  const interval = regularIntervalAt(context.intervalMs, expiresAt, now);
  const due = from + jitteredInterval(interval, context.jitter, random);
  const lastWeekStarts = expiresAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - WEEK_NOTICE_MS;
  if (now >= lastWeekStarts) return due;
  // Bring the tick forward to the start of the last week, but not closer to `from` than the
  // last week's own cadence: a refresh just before the week begins is not followed by another.
  const lastWeekCadence = from + jitteredInterval(Math.min(context.intervalMs, LAST_WEEK_MAX_INTERVAL_MS), context.jitter, random);
  return Math.min(due, Math.max(lastWeekStarts, lastWeekCadence));
}

/**
 * When the first regular refresh after start is due. With a refresh on record (the cache), one
 * interval after it: the schedule survives restarts. With none, in static-JWT mode, one interval
 * after the token was issued (`iat`), or after start when it carries no `iat`: a fresh token needs
 * no request at start, and a container with no volume must not call the server at every restart.
 * Otherwise now. A moment "in the future" (a clock set back) counts as now, not as a delay.
 */
export function firstRefreshAt(
  input: Pick<AgentContext, 'license' | 'intervalMs' | 'jitter' | 'mode' | 'lastRefreshAt'>,
  now: number,
  random: number,
): number {
  const iat = input.license?.claims.iat;
  const from = input.lastRefreshAt ?? (input.mode === 'static-jwt' ? (iat === undefined ? now : iat * 1000) : undefined);
  return from === undefined ? now : nextRegularRefreshAt(input, Math.min(from, now), now, random);
}

/**
 * The refresh schedule of a license that replaced the one in force (its license file changed): as at
 * start-up with that license configured and nothing on record (see `firstRefreshAt`), so that a
 * fresh token is refreshed one interval after its `iat` and an old one at once; no backoff carried
 * over from the license it replaced.
 */
export function scheduleAfterReplacement(
  context: Pick<AgentContext, 'intervalMs' | 'jitter'>,
  license: VerifiedLicense,
  now: number,
  random: number,
): Pick<AgentContext, 'nextRefreshAt' | 'forcedNotBefore' | 'failures'> {
  const nextRefreshAt = firstRefreshAt({ ...context, license, mode: 'static-jwt', lastRefreshAt: undefined }, now, random);
  return { nextRefreshAt, forcedNotBefore: now, failures: 0 };
}

/**
 * An HTTP 401/403: the server refused the key or license; retrying soon will not change its mind.
 * `error` is anything with a `status`: a `LicenseHttpError`, or its log fields.
 */
export function isRejection(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 403;
}

function retryAfterMs(error: unknown): number {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * After a failure: when may each kind of refresh run again? In the first-license phase (no license
 * fetched with this key yet) the regular tick gives way to a short backoff, unless the server
 * refused the key: asking again soon will not change its mind.
 */
export function scheduleAfterFailure(context: AgentContext, error: unknown, now: number, random: () => number, firstLicense: boolean) {
  const failures = context.failures + 1;
  const waitAtLeast = Math.min(retryAfterMs(error), context.intervalMs);
  // Keep the regular tick where it was unless it has passed: a failure never skips nor adds a tick.
  let nextRefreshAt = context.nextRefreshAt > now ? context.nextRefreshAt : nextRegularRefreshAt(context, now, now, random());
  let forcedNotBefore = now + backoffDelay(failures, FORCED_BACKOFF, random());
  if (firstLicense && !isRejection(error)) {
    nextRefreshAt = now + backoffDelay(failures, UNLICENSED_BACKOFF, random());
  }
  if (isRejection(error)) forcedNotBefore = nextRefreshAt;
  // Inside the forced window a kept regular tick must not come right on the heels of the failure.
  if (isWithinExpiryThreshold(expiresAtOf(context), now)) nextRefreshAt = Math.max(nextRefreshAt, now + FORCED_BACKOFF.initialMs);
  nextRefreshAt = Math.max(nextRefreshAt, now + waitAtLeast);
  forcedNotBefore = Math.max(forcedNotBefore, now + waitAtLeast);
  return { failures, nextRefreshAt, forcedNotBefore };
}
