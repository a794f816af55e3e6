/**
 * The `persistLicense` effect: after a refresh brings a license, mirror it to the cache, and let
 * peer coordination release its lock once the write is on disk.
 */
import type { AgentContext } from '../../machines/context.js';
import type { LicenseCache } from '../state/license-cache.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';

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
