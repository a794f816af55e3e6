/**
 * The arithmetic of license validity: from a license's expiry, the grace period and the time, which
 * stage the license is in and when the next stage begins. Pure functions, shared by the
 * statechart's guards and delays, the agent's status and the tests.
 */
import { DAY, HOUR, isWithinExpiryThreshold } from './schedule.js';

/** Notice (info) this long before expiry. */
export const MONTH_NOTICE_MS = 30 * DAY;
/** Daily warnings from this long before expiry; the refresh cadence tightens too. */
export const WEEK_NOTICE_MS = 7 * DAY;
/** The longest regular refresh interval once a license is inside its last week. */
export const LAST_WEEK_MAX_INTERVAL_MS = 6 * HOUR;

/**
 * The leaf states of the validity region, in the order a license lives through them:
 * `longTerm`, `withinMonth`, `withinWeek` (all `valid`), `expiringSoon`, `early` and `mid`
 * (both `grace`), `degraded`.
 */
export type ValidityLeaf = 'longTerm' | 'withinMonth' | 'withinWeek' | 'expiringSoon' | 'early' | 'mid' | 'degraded';

/** Milliseconds since the epoch at which a license with these claims expires; `undefined` when it never does. */
export function expiresAtMs(claims: { readonly exp?: number | undefined }): number | undefined {
  return claims.exp === undefined ? undefined : claims.exp * 1000;
}

/** The grace period in whole days, rounded down, as SoftClient4ES counts it. */
export function graceDays(gracePeriodMs: number): number {
  return Math.max(0, Math.floor(gracePeriodMs / DAY));
}

/**
 * How long grace stays "early" after expiry: the first half of the grace period in whole days,
 * rounded down (7 of 14 days, 15 of 30, 7 of 15), as SoftClient4ES splits it. "Mid" grace is the
 * rest; under two days of grace there is no early part.
 */
export function earlyGraceMs(gracePeriodMs: number): number {
  return Math.floor(graceDays(gracePeriodMs) / 2) * DAY;
}

/** Past its grace period at `now` (degraded): expired `gracePeriodMs` ago or more. Never with no expiry. */
export function isPastGrace(expiresAt: number | undefined, gracePeriodMs: number, now: number): boolean {
  return expiresAt !== undefined && now - expiresAt >= gracePeriodMs;
}

/** In the early part of grace at `now`: expired less than `earlyGraceMs` ago (or not expired yet). */
export function isEarlyGrace(expiresAt: number, gracePeriodMs: number, now: number): boolean {
  return now - expiresAt < earlyGraceMs(gracePeriodMs);
}

/** Which validity leaf a license expiring at `expiresAt` is in at `now`. No expiry: forever `longTerm`. */
export function validityLeafAt(expiresAt: number | undefined, gracePeriodMs: number, now: number): ValidityLeaf {
  if (expiresAt === undefined) return 'longTerm';
  const left = expiresAt - now;
  if (left > MONTH_NOTICE_MS) return 'longTerm';
  if (left > WEEK_NOTICE_MS) return 'withinMonth';
  if (!isWithinExpiryThreshold(expiresAt, now)) return 'withinWeek';
  if (left > 0) return 'expiringSoon';
  if (isPastGrace(expiresAt, gracePeriodMs, now)) return 'degraded';
  return isEarlyGrace(expiresAt, gracePeriodMs, now) ? 'early' : 'mid';
}

/** Whole days since expiry, rounded down (0 on the day it expired). */
export function daysExpired(expiresAt: number, now: number): number {
  return Math.max(0, Math.floor((now - expiresAt) / DAY));
}

/**
 * Whole days of grace left, as SoftClient4ES counts them: the grace period's whole days minus the
 * whole days since expiry (1 on the last day of a 14-day grace), never below 0.
 */
export function graceDaysRemaining(expiresAt: number, gracePeriodMs: number, now: number): number {
  return Math.max(0, graceDays(gracePeriodMs) - daysExpired(expiresAt, now));
}

/** Whole days until expiry, rounded down; negative once expired. */
export function daysRemaining(expiresAt: number, now: number): number {
  return Math.floor((expiresAt - now) / DAY);
}

/**
 * The regular refresh interval in force at `now`: the configured one, but at most 6 hours once the
 * license is inside its last week (expired included), so that an expiring license is chased harder.
 */
export function regularIntervalAt(intervalMs: number, expiresAt: number | undefined, now: number): number {
  if (expiresAt === undefined || expiresAt - now > WEEK_NOTICE_MS) return intervalMs;
  return Math.min(intervalMs, LAST_WEEK_MAX_INTERVAL_MS);
}
