/**
 * One entry of the license cache, as the agent uses it, whichever file it came from; and the API
 * key's fingerprint that tells whose entry it is.
 */
import { sha256Hex } from '../random.js';

/** A cached license, as the agent uses it. */
export interface CachedLicense {
  /** The license JWT, as the server sent it. Verified again after reading. */
  readonly jwt: string;
  /**
   * Milliseconds since the epoch of the last successful refresh. For a `license-cache.jwt` the
   * agent has no record of (SoftClient4ES wrote it), the file's modification time.
   */
  readonly fetchedAt: number;
  /**
   * {@link fingerprintApiKey} of the API key the JWT was fetched with; `null` when that is not
   * known: a static-JWT mode refresh, or a `license-cache.jwt` written by SoftClient4ES.
   */
  readonly keyFingerprint: string | null;
  /** The license id (the JWT's `sub`). */
  readonly licenseId: string;
}

/**
 * The SHA-256 of an API key, in hex: stored instead of the key, so a cache written with another
 * key can be recognised without the key ever touching the disk.
 *
 * @example
 * ```ts
 * const stale = cached.keyFingerprint !== (await fingerprintApiKey(options.apiKey));
 * ```
 */
export function fingerprintApiKey(apiKey: string): Promise<string> {
  return sha256Hex(apiKey);
}
