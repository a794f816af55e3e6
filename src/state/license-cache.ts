/**
 * The license cache, in SoftClient4ES's own layout so that either program reads what the other
 * wrote: `<stateDir>/license-cache.jwt` holds the last JWT fetched with an API key, the JWT alone;
 * `<stateDir>/license-state.json` (the agent's own, see `license-state.ts`) says which key fetched
 * that JWT and when, and holds static-JWT mode's refreshed token, which never goes to the shared
 * file. A restart resumes the refresh schedule from them without calling the server. The cache
 * mirrors the machine context; losing it only costs one refresh, so no method throws. JWTs are
 * stored (mode 0600) and never logged; the API key is stored only as a fingerprint.
 *
 * This module owns the order of changes (one at a time, the last write wins), the warnings (once
 * per problem) and the choice between entries; what each change does to the files is in
 * `license-cache-files.ts`.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { sha256Hex } from '../random.js';
import type { CachedLicense } from './cached-license.js';
import { errnoCode } from './errno.js';
import {
  adoptLegacyEntry,
  type CachePaths,
  readLegacyCache,
  readSharedCache,
  readStateFile,
  removeEntry,
  storeEntry,
} from './license-cache-files.js';
import {
  jwtSubject,
  LEGACY_LICENSE_CACHE_FILE,
  LICENSE_STATE_FILE,
  parseLegacyCache,
  type LegacyEntry,
  type LicenseState,
} from './license-state.js';
import type { SmallFile } from './small-file.js';

export { LEGACY_LICENSE_CACHE_FILE, LICENSE_STATE_FILE } from './license-state.js';
export { fingerprintApiKey, type CachedLicense } from './cached-license.js';
export { MAX_LICENSE_CACHE_BYTES } from './license-cache-files.js';

/** The file name of the shared license cache inside the state directory, as SoftClient4ES names it. */
export const LICENSE_CACHE_FILE = 'license-cache.jwt';

/** The two entries the cache can hold, before {@link LicenseCache.read} picks the newer one. */
export interface CachedEntries {
  /** From `license-cache.jwt`: fetched with an API key (ours, if `keyFingerprint` is set). */
  readonly fetched?: CachedLicense;
  /** From `license-state.json`: the last static-JWT mode refresh (`keyFingerprint` `null`). */
  readonly staticJwt?: CachedLicense;
}

/** The newest of `entries` by refresh time; on a tie, the first. */
function newest(entries: ReadonlyArray<CachedLicense | undefined>): CachedLicense | undefined {
  let best: CachedLicense | undefined;
  for (const entry of entries) if (entry && (!best || entry.fetchedAt > best.fetchedAt)) best = entry;
  return best;
}

/**
 * Reads and writes the license cache of one state directory.
 *
 * @example
 * ```ts
 * const cache = new LicenseCache(stateDir, log);
 * const cached = await cache.read();
 * void cache.write({ jwt, fetchedAt: clock.now(), keyFingerprint, licenseId });
 * await cache.flush(); // before exit
 * ```
 */
export class LicenseCache implements CachePaths {
  /** The absolute path of the shared cache, `license-cache.jwt`. */
  readonly path: string;
  /** The absolute path of the agent's own `license-state.json`. */
  readonly statePath: string;
  /** The absolute path of the `license-cache.json` of earlier versions, migrated when found. */
  readonly legacyPath: string;
  readonly #log: Logger;
  /** The tail of the queue of changes to the files: resolves when every change queued so far is done. */
  #queue: Promise<void> = Promise.resolve();
  /** The entry the queued-but-not-started write will store; newer writes replace it. */
  #next: CachedLicense | undefined;
  /** The error code of the last failed write, so a persisting failure is reported once. */
  #failingCode: string | undefined;
  /** Per file, the problem last warned about: the cache is read before every refresh, once is enough. */
  readonly #warned = new Map<string, string>();
  /** The entry the last {@link read} returned: what {@link discard} removes by default. */
  #lastRead: CachedLicense | undefined;

  constructor(dir: string, log: Logger) {
    this.path = path.resolve(dir, LICENSE_CACHE_FILE);
    this.statePath = path.resolve(dir, LICENSE_STATE_FILE);
    this.legacyPath = path.resolve(dir, LEGACY_LICENSE_CACHE_FILE);
    this.#log = log;
  }

  /**
   * The cached license, or `undefined` when there is none or it cannot be used (one warning then):
   * the newer of the JWT in `license-cache.jwt` and static-JWT mode's last refresh, as the single
   * file of earlier versions held whichever was written last. The JWT is returned unverified: the
   * caller verifies it like any other.
   */
  async read(): Promise<CachedLicense | undefined> {
    const { fetched, staticJwt, legacy } = await this.#readAll();
    this.#lastRead = newest([fetched, staticJwt, legacy]);
    return this.#lastRead;
  }

  /** Both entries, for a caller that knows which one its mode wants. Never rejects. */
  async readEntries(): Promise<CachedEntries> {
    const { fetched, staticJwt, legacy } = await this.#readAll();
    const legacyFetched = legacy?.keyFingerprint === null ? undefined : legacy;
    const legacyStatic = legacy?.keyFingerprint === null ? legacy : undefined;
    const fetchedEntry = fetched ?? legacyFetched;
    const staticEntry = staticJwt ?? legacyStatic;
    return { ...(fetchedEntry && { fetched: fetchedEntry }), ...(staticEntry && { staticJwt: staticEntry }) };
  }

  /**
   * Queues `entry` to be written atomically: with an API key fingerprint, its JWT alone to
   * `license-cache.jwt` and its record to `license-state.json`; without one (static-JWT mode), to
   * `license-state.json` only. Writes never overlap, and the last one queued wins: an entry still
   * waiting when a newer one arrives is skipped. Never rejects; a failure is logged once while it
   * persists.
   *
   * @returns a promise that resolves when `entry` (or a newer entry) has been written or has failed.
   */
  write(entry: CachedLicense): Promise<void> {
    const alreadyQueued = this.#next !== undefined;
    this.#next = entry;
    // A write already waiting will take `entry`: the queue as it stands covers it.
    if (alreadyQueued) return this.#queue;
    return this.#enqueue(() => this.#writeNext());
  }

  /**
   * Deletes the entry holding `jwt` (by default, the one the last {@link read} returned), as
   * SoftClient4ES deletes a cached JWT that no longer verifies or is past grace. A
   * `license-cache.jwt` that meanwhile holds another JWT is left alone. Never rejects.
   */
  discard(jwt: string | undefined = this.#lastRead?.jwt): Promise<void> {
    return this.#enqueue(() => this.#discard(jwt));
  }

  /** Resolves when every write queued so far has finished. */
  flush(): Promise<void> {
    return this.#queue;
  }

  #enqueue(change: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(change).catch(() => undefined);
    return this.#queue;
  }

  async #readAll(): Promise<CachedEntries & { legacy?: LegacyEntry }> {
    const legacy = await this.#migrateLegacy();
    const [shared, state] = await Promise.all([readSharedCache(this), this.#readState()]);
    const fetched = await this.#fetchedEntry(shared, state);
    const record = state.staticJwt;
    const staticJwt = record && { jwt: record.jwt, fetchedAt: record.fetchedAt, keyFingerprint: null, licenseId: record.licenseId };
    return { ...(fetched && { fetched }), ...(staticJwt && { staticJwt }), ...(legacy && { legacy }) };
  }

  /**
   * The entry of `license-cache.jwt`. The state's record applies only when it was written for this
   * very JWT (same SHA-256): when SoftClient4ES has rewritten the file, the key and time of the old
   * JWT must not be taken for the new one's, and the file's own time and "unknown key" stand in.
   */
  async #fetchedEntry(shared: SmallFile, state: LicenseState): Promise<CachedLicense | undefined> {
    if (shared === undefined) return undefined;
    if ('problem' in shared) return this.#ignore(this.path, shared.problem);
    const jwt = shared.text.trim();
    // Empty is "none", as for SoftClient4ES: nothing to warn about.
    if (jwt === '') return this.#forgetWarning(this.path);
    const licenseId = jwtSubject(jwt);
    if (licenseId === undefined) return this.#ignore(this.path, 'it is not a license JWT');
    this.#forgetWarning(this.path);
    const record = state.apiKey;
    if (record && record.jwtSha256 === (await sha256Hex(jwt))) {
      return { jwt, fetchedAt: record.fetchedAt, keyFingerprint: record.keyFingerprint, licenseId };
    }
    return { jwt, fetchedAt: shared.mtimeMs, keyFingerprint: null, licenseId };
  }

  /** `license-state.json`, or an empty state when there is none or it cannot be used (one warning then). */
  async #readState(): Promise<LicenseState> {
    const found = await readStateFile(this);
    if (found === undefined) return {};
    if ('problem' in found) {
      this.#ignore(this.statePath, found.problem, 'license cache state file is unreadable; ignoring it');
      return {};
    }
    this.#forgetWarning(this.statePath);
    return found.state;
  }

  /**
   * Moves a `license-cache.json` of an earlier version into the new files, then removes it; a slot
   * the new files already fill wins (it is newer). Returns the old entry only when it could not be
   * moved (a read-only state dir), so that it still serves.
   */
  #migrateLegacy(): Promise<LegacyEntry | undefined> {
    let unmoved: LegacyEntry | undefined;
    return this.#enqueue(async () => {
      const file = await readLegacyCache(this);
      if (file === undefined) return;
      if ('problem' in file) return this.#ignore(this.legacyPath, file.problem, 'license cache of an earlier version is unreadable; ignoring it');
      const entry = parseLegacyCache(file.text);
      try {
        if (entry) await adoptLegacyEntry(this, entry);
        await unlink(this.legacyPath);
      } catch (error) {
        const message = 'cannot move the license cache of an earlier version to the new files; using it as it is';
        this.#ignore(this.legacyPath, `cannot migrate it (${errnoCode(error)})`, message);
        unmoved = entry;
        return;
      }
      const fields = { path: this.legacyPath, cache: this.path, state: this.statePath };
      if (entry) this.#log.info(fields, 'moved the license cache of an earlier version to the new files');
      else this.#log.warn({ ...fields, reason: 'unexpected content or format' }, 'removed an unusable license cache of an earlier version');
    }).then(() => unmoved);
  }

  async #writeNext(): Promise<void> {
    const entry = this.#next;
    this.#next = undefined;
    if (entry === undefined) return;
    try {
      await storeEntry(this, entry);
      this.#failingCode = undefined;
    } catch (error) {
      this.#reportWriteFailure(error, entry.keyFingerprint === null ? this.statePath : this.path);
    }
  }

  #reportWriteFailure(error: unknown, fallbackPath: string): void {
    const code = errnoCode(error);
    if (code !== this.#failingCode) {
      const failedPath = (error as { path?: unknown }).path;
      const fields = { path: typeof failedPath === 'string' ? failedPath : fallbackPath, code };
      this.#log.warn(fields, 'cannot write the license cache; a restart will fetch the license again');
    }
    this.#failingCode = code;
  }

  async #discard(jwt: string | undefined): Promise<void> {
    try {
      await removeEntry(this, jwt);
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT') this.#log.warn({ path: this.path, code }, 'cannot delete the cached license');
    }
  }

  /** Warns once per file and problem; the message names the file, never its content. */
  #ignore(file: string, reason: string, message = 'license cache is unreadable; ignoring it'): undefined {
    if (this.#warned.get(file) !== reason) this.#log.warn({ path: file, reason }, message);
    this.#warned.set(file, reason);
    return undefined;
  }

  #forgetWarning(file: string): undefined {
    this.#warned.delete(file);
    return undefined;
  }
}
