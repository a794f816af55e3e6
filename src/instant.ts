/**
 * Instants written for people and logs. A JavaScript `Date` holds ±8.64e15 ms around the epoch and
 * `toISOString()` throws outside it; every instant the agent writes goes through here, so that no
 * date computation (an expiry plus a grace period, say) can throw into the statechart.
 */

const MAX_DATE_MS = 8.64e15;

/** `ms` as ISO 8601, or `null` when it is absent, not finite, or outside a `Date`'s range. */
export function isoInstant(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS ? null : new Date(ms).toISOString();
}
