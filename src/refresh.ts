/**
 * The effects that follow a refresh attempt: persisting the adopted license, and the log line of a
 * failure. (The fetch itself is in `fetch-license.ts`, loaded with the first refresh.) Provided into
 * the machine by `agent.ts`.
 */
import type { Logger } from 'pino';
import type { AgentContext } from '../machines/context.js';
import { expiresAtOf, isRejection } from '../machines/refresh-policy.js';
import { isWithinExpiryThreshold } from '../machines/schedule.js';
import { isoInstant } from './instant.js';
import { errorFields } from './log.js';
import type { RefreshCoordinator } from './effects/refresh-coordinator.js';
import type { LicenseCache } from './state/license-cache.js';

/** The `persistLicense` action: mirror the adopted license to the cache (an atomic write, queued). */
export function createPersistLicense(
  cache: LicenseCache | undefined,
  keyFingerprint: string | null,
  coordinatorOf: () => RefreshCoordinator | undefined = () => undefined,
) {
  return ({ context }: { context: AgentContext }) => {
    const coordinator = coordinatorOf();
    const { license, lastRefreshAt } = context;
    if (!cache || !license || lastRefreshAt === undefined) return;
    // A license adopted from a peer is on disk already; writing it again would only move fetched_at
    // and make every peer believe a fresh refresh happened.
    if (coordinator?.isAdopted(license.jwt)) return;
    const written = cache.write({ jwt: license.jwt, fetchedAt: lastRefreshAt, keyFingerprint, licenseId: license.claims.sub });
    coordinator?.releaseAfter(written);
  };
}

/**
 * The `logRefreshFailure` action: a `warn` naming the cause (an `error` when the server rejected the
 * key or license, or when the license is within 48 hours of expiry or past it), and the facts an
 * operator needs: the current license stays, and when the next attempt comes.
 */
export function createLogRefreshFailure(log: Logger, now: () => number) {
  return ({ context }: { context: AgentContext }) => {
    const outcome = context.lastOutcome;
    if (!outcome || outcome.ok) return;
    const err = errorFields(outcome.error);
    const fields = {
      err,
      mode: context.mode,
      forced: outcome.forced,
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
