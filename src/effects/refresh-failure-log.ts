/**
 * The `logRefreshFailure` effect: the log line of a failed refresh attempt, with the facts an
 * operator needs to act on it.
 */
import type { Logger } from 'pino';
import type { AgentContext } from '../../machines/context.js';
import { expiresAtOf, isRejection } from '../../machines/refresh-policy.js';
import { isWithinExpiryThreshold } from '../../machines/schedule.js';
import { isoInstant } from '../instant.js';
import { errorFields } from '../log.js';

/**
 * The `logRefreshFailure` action: a `warn` naming the cause (an `error` when the server rejected the
 * key or license, or when the license is within 48 hours of expiry or past it), and the facts an
 * operator needs: the current license stays, and when the next attempt comes.
 */
export function createLogRefreshFailure(log: Logger, now: () => number) {
  return ({ context }: { context: AgentContext }, failure: { error: unknown; forced: boolean }) => {
    const err = errorFields(failure.error);
    const fields = {
      err,
      mode: context.mode,
      forced: failure.forced,
      licenseId: context.license?.claims.sub ?? null,
      nextRefreshAt: isoInstant(context.nextRefreshAt),
    };
    const expiresAt = expiresAtOf(context);
    // Under 48 hours from expiry, and through grace, a failing refresh is an error: it will cost a tier.
    const urgent = isWithinExpiryThreshold(expiresAt, now());
    if (isRejection(err)) {
      log.error(fields, `license refresh rejected: ${err.message}; keeping the current license`);
    } else if (urgent) {
      const at = isoInstant(expiresAt);
      log.error({ ...fields, expiresAt: at }, `license refresh failed: ${err.message}; the license expires (or expired) at ${at}; keeping it while it lasts`);
    } else {
      log.warn(fields, `license refresh failed: ${err.message}; keeping the current license`);
    }
  };
}
