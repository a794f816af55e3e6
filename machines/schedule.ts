/**
 * The arithmetic of the refresh schedule: when the next regular refresh is due, when a forced one
 * may run, and how long to back off after a failure. Pure functions of their arguments, so the
 * machine, the tests and the documentation all agree on one set of numbers.
 */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A license expiring sooner than this forces a refresh. */
export const EXPIRY_THRESHOLD_MS = 48 * HOUR;
/** A forced refresh that returned a license still inside the threshold is retried no sooner than this. */
export const FORCED_RETRY_MS = HOUR;
/** Backoff after failed forced refreshes: from 1 minute, doubling, to at most 1 hour. */
export const FORCED_BACKOFF = { initialMs: MINUTE, maxMs: HOUR } as const;
/** Backoff while no license at all has been obtained: 30 seconds doubling to at most 15 minutes. */
export const UNLICENSED_BACKOFF = { initialMs: 30 * SECOND, maxMs: 15 * MINUTE } as const;
/** Backoff delays come at most this fraction early, so that retries from a fleet spread out. */
export const BACKOFF_JITTER = 0.2;

/**
 * The regular delay, `interval × (1 − U(0, jitter))`: never later than the interval, spread a little
 * earlier so that a fleet restarted together does not refresh in lockstep.
 */
export function jitteredInterval(intervalMs: number, jitter: number, random: number): number {
  return Math.round(intervalMs * (1 - random * jitter));
}

/** Exponential backoff for the `failures`-th consecutive failure (1-based), jittered early. */
export function backoffDelay(failures: number, policy: { initialMs: number; maxMs: number }, random: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const nominal = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  return Math.round(nominal * (1 - random * BACKOFF_JITTER));
}

/** The instant a license expiring at `expiresAt` enters the forced-refresh window, or never. */
export function expiryThresholdAt(expiresAt: number | undefined): number {
  return expiresAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - EXPIRY_THRESHOLD_MS;
}

/** Under 48 hours from expiry, or past it, at `now`: refreshes are forced. Never with no expiry. */
export function isWithinExpiryThreshold(expiresAt: number | undefined, now: number): boolean {
  return now >= expiryThresholdAt(expiresAt);
}
