/**
 * The license cache, in SoftClient4ES's own layout so that either program reads what the other
 * wrote: `<stateDir>/license-cache.jwt` holds the last JWT fetched with an API key, the JWT alone;
 * `<stateDir>/license-state.json` (the agent's own, see `license-state.ts`) says which key fetched
 * that JWT and when, and holds static-JWT mode's refreshed token, which never goes to the shared
 * file. A restart resumes the refresh schedule from them without calling the server. The cache
 * mirrors the machine context; losing it only costs one refresh, so no method throws. JWTs are
 * stored (mode 0600) and never logged; the API key is stored only as a fingerprint.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { sha256Hex } from '../random.js';
import { writeFileAtomic } from './atomic-file.js';
import { errnoCode } from './errno.js';
import {
  jwtSubject,
  LEGACY_LICENSE_CACHE_FILE,
  LICENSE_STATE_FILE,
  parseLegacyCache,
  parseLicenseState,
  serializeLicenseState,
  type LegacyEntry,
  type LicenseState,
} from './license-state.js';

export { LEGACY_LICENSE_CACHE_FILE, LICENSE_STATE_FILE } from './license-state.js';

/** The file name of the shared license cache inside the state directory, as SoftClient4ES names it. */
export const LICENSE_CACHE_FILE = 'license-cache.jwt';

/** A larger `license-cache.jwt` is not a JWT we wrote: SoftClient4ES ignores it too (64 KiB). */
export const MAX_LICENSE_CACHE_BYTES = 65_536;

/** The agent's own files hold a JWT plus a few fields: room for the largest cache, with margin. */
const MAX_STATE_BYTES = 4 * MAX_LICENSE_CACHE_BYTES;

/** Where it exists (not on Windows), opening never follows a link swapped in after the lstat. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

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

/** The two entries the cache can hold, before {@link LicenseCache.read} picks the newer one. */
export interface CachedEntries {
  /** From `license-cache.jwt`: fetched with an API key (ours, if `keyFingerprint` is set). */
  readonly fetched?: CachedLicense;
  /** From `license-state.json`: the last static-JWT mode refresh (`keyFingerprint` `null`). */
  readonly staticJwt?: CachedLicense;
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

/** A small file read with care: its text, or why it was left alone; `undefined` when it does not exist. */
type SmallFile = { readonly text: string; readonly mtimeMs: number } | { readonly problem: string } | undefined;

/**
 * Reads `file` if it is a regular file of at most `maxBytes`, never reading more than that: a
 * symbolic link (which could point anywhere) or an oversized file is reported, not read.
 */
async function readSmallFile(file: string, maxBytes: number): Promise<SmallFile> {
  let info: Stats;
  try {
    info = await lstat(file);
  } catch (error) {
    return errnoCode(error) === 'ENOENT' ? undefined : { problem: `cannot read it (${errnoCode(error)})` };
  }
  if (info.isSymbolicLink()) return { problem: 'it is a symbolic link' };
  // A FIFO or a device would block the open or never end: only regular files are read.
  if (!info.isFile()) return { problem: 'it is not a regular file' };
  if (info.size > maxBytes) return { problem: `it is larger than ${maxBytes} bytes (${info.size} bytes)` };
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      ({ bytesRead: read } = await handle.read(buffer, length, buffer.length - length));
    }
    // It grew after the lstat: still too large, and still not read past the limit.
    if (length > maxBytes) return { problem: `it is larger than ${maxBytes} bytes` };
    return { text: buffer.toString('utf8', 0, length), mtimeMs: Math.floor((await handle.stat()).mtimeMs) };
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    return { problem: code === 'ELOOP' ? 'it is a symbolic link' : `cannot read it (${code})` };
  } finally {
    await handle?.close();
  }
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
export class LicenseCache {
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
    if (!alreadyQueued) this.#enqueue(() => this.#writeNext());
    return this.#queue;
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
    const [shared, state] = await Promise.all([readSmallFile(this.path, MAX_LICENSE_CACHE_BYTES), this.#readState(true)]);
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

  /** `license-state.json`, or an empty state when there is none or it cannot be used (a warning when `warn`). */
  async #readState(warn = false): Promise<LicenseState> {
    const file = await readSmallFile(this.statePath, MAX_STATE_BYTES);
    if (file === undefined) return {};
    const state = 'problem' in file ? undefined : parseLicenseState(file.text);
    if (!state) {
      if (warn) this.#ignore(this.statePath, 'problem' in file ? file.problem : 'unexpected content or format', 'license cache state file is unreadable; ignoring it');
      return {};
    }
    if (warn) this.#forgetWarning(this.statePath);
    return state;
  }

  /**
   * Moves a `license-cache.json` of an earlier version into the new files, then removes it; a slot
   * the new files already fill wins (it is newer). Returns the old entry only when it could not be
   * moved (a read-only state dir), so that it still serves.
   */
  #migrateLegacy(): Promise<LegacyEntry | undefined> {
    let unmoved: LegacyEntry | undefined;
    return this.#enqueue(async () => {
      const file = await readSmallFile(this.legacyPath, MAX_STATE_BYTES);
      if (file === undefined) return;
      if ('problem' in file) return void this.#ignore(this.legacyPath, file.problem, 'license cache of an earlier version is unreadable; ignoring it');
      const entry = parseLegacyCache(file.text);
      try {
        if (entry) await this.#adoptLegacy(entry);
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

  async #adoptLegacy(entry: LegacyEntry): Promise<void> {
    const state = await this.#readState();
    if (entry.keyFingerprint === null) {
      if (state.staticJwt) return;
      const staticJwt = { jwt: entry.jwt, licenseId: entry.licenseId, fetchedAt: entry.fetchedAt };
      return writeFileAtomic(this.statePath, serializeLicenseState({ ...state, staticJwt }));
    }
    const shared = await readSmallFile(this.path, MAX_LICENSE_CACHE_BYTES);
    const sharedJwt = shared && 'text' in shared ? shared.text.trim() : undefined;
    // Another JWT is there already (SoftClient4ES's, or ours since): it is the newer one.
    if (shared !== undefined && sharedJwt !== entry.jwt && sharedJwt !== '') return;
    const record = { jwtSha256: await sha256Hex(entry.jwt), licenseId: entry.licenseId, fetchedAt: entry.fetchedAt, keyFingerprint: entry.keyFingerprint };
    const stateText = serializeLicenseState({ ...state, apiKey: record });
    if (sharedJwt !== entry.jwt) await writeFileAtomic(this.path, entry.jwt);
    await writeFileAtomic(this.statePath, stateText);
  }

  async #writeNext(): Promise<void> {
    const entry = this.#next;
    this.#next = undefined;
    if (entry === undefined) return;
    try {
      const state = await this.#readState();
      if (entry.keyFingerprint === null) {
        const staticJwt = { jwt: entry.jwt, licenseId: entry.licenseId, fetchedAt: entry.fetchedAt };
        await writeFileAtomic(this.statePath, serializeLicenseState({ ...state, staticJwt }));
      } else {
        const apiKey = { jwtSha256: await sha256Hex(entry.jwt), licenseId: entry.licenseId, fetchedAt: entry.fetchedAt, keyFingerprint: entry.keyFingerprint };
        // Serialized first: a date that cannot be stored (RangeError) fails the write before any file changes.
        const stateText = serializeLicenseState({ ...state, apiKey });
        // The JWT first: SoftClient4ES sees it at once, and until the record follows, the agent
        // reads it as a JWT of unknown provenance (which it is, to a reader at that instant).
        await writeFileAtomic(this.path, entry.jwt);
        await writeFileAtomic(this.statePath, stateText);
      }
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
      const shared = await readSmallFile(this.path, MAX_LICENSE_CACHE_BYTES);
      // Never a link (it points elsewhere) and never a JWT other than the one refused.
      if (shared && 'text' in shared && (jwt === undefined || shared.text.trim() === jwt)) await unlink(this.path);
      const state = await this.#readState();
      const sha = jwt === undefined ? undefined : await sha256Hex(jwt);
      const dropFetched = state.apiKey !== undefined && (sha === undefined || state.apiKey.jwtSha256 === sha);
      const dropStatic = state.staticJwt !== undefined && state.staticJwt.jwt === jwt;
      if (!dropFetched && !dropStatic) return;
      const next: LicenseState = {
        ...(!dropFetched && state.apiKey && { apiKey: state.apiKey }),
        ...(!dropStatic && state.staticJwt && { staticJwt: state.staticJwt }),
      };
      if (next.apiKey || next.staticJwt) await writeFileAtomic(this.statePath, serializeLicenseState(next));
      else await unlink(this.statePath);
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
