/**
 * Refreshing together: the processes that share one state directory (the workers of one server)
 * take turns instead of each calling the license server. Before a scheduled refresh, a process
 * adopts a license that a peer fetched since its own last refresh; otherwise it takes the advisory
 * refresh lock, or, when a peer holds it, waits for that peer's result. A REFRESH LICENSE asked by
 * an operator always goes to the server.
 */
import type { Logger } from 'pino';
import type { FetchInput } from '../../machines/context.js';
import type { VerifiedLicense } from '../license/claims.js';
import { checkSuccessor, type LicenseVerifier } from '../license/verify.js';
import { errorFields } from '../log.js';
import type { CachedLicense, LicenseCache } from '../state/license-cache.js';
import { tryAcquireRefreshLock, type HeldLock } from '../state/refresh-lock.js';

export interface CoordinatorDeps {
  readonly dir: string;
  readonly cache: LicenseCache;
  readonly verify: LicenseVerifier;
  readonly keyFingerprint: string | null;
  readonly log: Logger;
  /** How long a lock may be held: the longest a refresh can take. */
  readonly lockTtlMs: number;
  /** The agent's clock, for verification. The lock itself runs on the shared wall clock. */
  readonly now: () => number;
}

/** How often a waiting process looks at the cache while a peer refreshes. */
const PEER_POLL_MS = 100;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export class RefreshCoordinator {
  readonly #deps: CoordinatorDeps;
  /**
   * The last license taken from a peer, with the instant that peer fetched it. It is on disk
   * already, so persisting it again would only move fetched_at.
   */
  #adopted: { readonly jwt: string; readonly fetchedAt: number } | undefined;
  #held: HeldLock | undefined;
  /** The release in progress, for `idle()`. */
  #releasing: Promise<void> = Promise.resolve();

  constructor(deps: CoordinatorDeps) {
    this.#deps = deps;
  }

  /**
   * Runs `fetch` unless a peer's result can be adopted. The lock taken for the fetch is kept until
   * {@link releaseAfter} (the new license is on disk for the peers to see) or a failure.
   */
  async run(input: FetchInput, signal: AbortSignal, fetch: () => Promise<VerifiedLicense | undefined>): Promise<VerifiedLicense | undefined> {
    if (!input.manual) {
      const fromPeer = (await this.#peerLicense(input)) ?? (await this.#lockOrWait(input, signal));
      if (fromPeer) return fromPeer;
    }
    try {
      return await fetch();
    } catch (error) {
      await this.#release();
      throw error;
    }
  }

  /** True for a license adopted from a peer: it is already in the cache. */
  isAdopted(jwt: string): boolean {
    return this.#adopted?.jwt === jwt;
  }

  /**
   * Releases the lock once `written` (the cache write of the new license) settles: only then can
   * peers waiting on the lock adopt it. `idle()` waits for this too.
   */
  releaseAfter(written: Promise<unknown>): void {
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    this.#releasing = Promise.all([this.#releasing, written.catch(() => undefined)])
      .then(() => held.release())
      .catch((error: unknown) => this.#releaseFailed(error));
  }

  /** Resolves once no lock is held or being released: `stop()` waits for it. */
  async idle(): Promise<void> {
    await this.#releasing;
  }

  #release(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#releasing = this.#releasing.then(() => held.release()).catch((error: unknown) => this.#releaseFailed(error));
    return this.#releasing;
  }

  /** A lock that cannot be released expires by its TTL: nothing to do but say so at debug. */
  #releaseFailed(error: unknown): void {
    this.#deps.log.debug({ err: errorFields(error) }, 'could not release the refresh lock; peers will take it over when it expires');
  }

  /** A cached license a peer fetched since our own last refresh, verified, or `undefined`. */
  async #peerLicense(input: FetchInput): Promise<VerifiedLicense | undefined> {
    const cached = await this.#deps.cache.read();
    if (!cached || !this.#isPeerResult(cached, input)) return undefined;
    try {
      const license = await this.#deps.verify(cached.jwt, { now: this.#deps.now(), purpose: 'received' });
      checkSuccessor(input.license, license, input.mode === 'static-jwt');
      this.#adopted = { jwt: license.jwt, fetchedAt: cached.fetchedAt };
      this.#deps.log.debug({ licenseId: license.claims.sub, fetchedAt: new Date(cached.fetchedAt).toISOString() }, 'adopted the license a peer process refreshed');
      return license;
    } catch (error) {
      // A peer's cache that does not verify is no reason to fail: this process fetches its own.
      this.#deps.log.debug({ err: errorFields(error) }, "ignored the peer's cached license; fetching our own");
      return undefined;
    }
  }

  #isPeerResult(cached: CachedLicense, input: FetchInput): boolean {
    // For a license taken from a peer, what counts is when that peer fetched it, not when we took
    // it: a peer that refreshed again while we were taking it must still read as newer to us.
    const adopted = this.#adopted;
    const since = adopted && adopted.jwt === input.license?.jwt ? adopted.fetchedAt : input.lastRefreshAt;
    if (cached.fetchedAt <= (since ?? Number.NEGATIVE_INFINITY)) return false;
    if (input.mode === 'api-key') return cached.keyFingerprint === this.#deps.keyFingerprint;
    return cached.licenseId === input.license?.claims.sub;
  }

  /**
   * Takes the lock (and returns `undefined`: go and fetch), or waits while a peer holds it and
   * returns the license it brought. Disk trouble means no coordination, not no refresh.
   */
  async #lockOrWait(input: FetchInput, signal: AbortSignal): Promise<VerifiedLicense | undefined> {
    try {
      const deadline = Date.now() + this.#deps.lockTtlMs;
      while (!signal.aborted && Date.now() < deadline) {
        const held = await tryAcquireRefreshLock(this.#deps.dir, Date.now(), this.#deps.lockTtlMs);
        if (held) {
          this.#held = held;
          // A peer may have written its result and let go of the lock since we last looked.
          const fromPeer = await this.#peerLicense(input);
          if (fromPeer) await this.#release();
          return fromPeer;
        }
        await sleep(PEER_POLL_MS, signal);
        const fromPeer = await this.#peerLicense(input);
        if (fromPeer) return fromPeer;
      }
    } catch (error) {
      this.#deps.log.debug({ err: errorFields(error) }, 'refresh lock unavailable; refreshing without coordination');
    }
    return undefined;
  }
}
