/**
 * The license cache: the last license JWT the agent fetched, kept in
 * `<stateDir>/license-cache.json` so a restart resumes the refresh schedule without calling the
 * server. It mirrors the machine context; losing it only costs one refresh, so no method throws.
 * The JWT is stored, and never logged; the API key is stored only as a fingerprint.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { errnoCode } from './errno.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { sha256Hex } from '../random.js';

/** The file name of the license cache inside the state directory. */
export const LICENSE_CACHE_FILE = 'license-cache.json';

/** The version of the file layout; files of another version are ignored. */
const CACHE_FORMAT = 1;

const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/** A cached license, as the agent uses it. */
export interface CachedLicense {
  /** The license JWT, as the server sent it. Verified again after reading. */
  readonly jwt: string;
  /** Milliseconds since the epoch of the last successful refresh. */
  readonly fetchedAt: number;
  /** {@link fingerprintApiKey} of the API key the JWT was fetched with; `null` if none was used. */
  readonly keyFingerprint: string | null;
  /** The license id (the JWT's `sub`). */
  readonly licenseId: string;
}

/** The file as stored: snake_case, an ISO 8601 date, and a format number. */
interface CacheFile {
  readonly format: number;
  readonly license_id: string;
  readonly jwt: string;
  readonly fetched_at: string;
  readonly key_fingerprint: string | null;
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
  /** The absolute path of the cache file. */
  readonly path: string;
  readonly #log: Logger;
  /** The tail of the write queue: resolves when every write queued so far has finished. */
  #queue: Promise<void> = Promise.resolve();
  /** The entry the queued-but-not-started write will store; newer writes replace it. */
  #next: CachedLicense | undefined;
  /** The error code of the last failed write, so a persisting failure is reported once. */
  #failingCode: string | undefined;

  constructor(dir: string, log: Logger) {
    this.path = path.resolve(dir, LICENSE_CACHE_FILE);
    this.#log = log;
  }

  /**
   * The cached license, or `undefined` when there is none or it cannot be used (one warning then).
   * The JWT is returned unverified: the caller verifies it like any other.
   */
  async read(): Promise<CachedLicense | undefined> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.path);
    } catch (error) {
      return this.#ignore(`cannot read it (${errnoCode(error)})`);
    }
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parse error is not logged: its message quotes the file, which holds the JWT.
      return this.#ignore(text.trim() === '' ? 'empty file' : 'not JSON');
    }
    const cached = toCachedLicense(value);
    if (!cached) return this.#ignore('unexpected content or format');
    this.#ignoredReason = undefined;
    return cached;
  }

  /**
   * Queues `entry` to be written atomically. Writes never overlap, and the last one queued wins:
   * an entry still waiting when a newer one arrives is skipped. Never rejects; a failure is logged
   * once while it persists.
   *
   * @returns a promise that resolves when `entry` (or a newer entry) has been written or has failed.
   */
  write(entry: CachedLicense): Promise<void> {
    const alreadyQueued = this.#next !== undefined;
    this.#next = entry;
    if (!alreadyQueued) {
      this.#queue = this.#queue.then(() => this.#writeNext());
    }
    return this.#queue;
  }

  /** Resolves when every write queued so far has finished. */
  flush(): Promise<void> {
    return this.#queue;
  }

  async #writeNext(): Promise<void> {
    const entry = this.#next;
    this.#next = undefined;
    if (entry === undefined) return;
    try {
      await writeFileAtomic(this.path, serialize(entry));
      this.#failingCode = undefined;
    } catch (error) {
      const code = errnoCode(error);
      if (code !== this.#failingCode) {
        const message = 'cannot write the license cache; a restart will fetch the license again';
        this.#log.warn({ path: this.path, code }, message);
      }
      this.#failingCode = code;
    }
  }

  /** Warns once per reason: the cache is read again before every refresh, and once is enough. */
  #ignore(reason: string): undefined {
    if (reason !== this.#ignoredReason) this.#log.warn({ path: this.path, reason }, 'license cache is unreadable; ignoring it');
    this.#ignoredReason = reason;
    return undefined;
  }

  #ignoredReason: string | undefined;
}

function serialize(entry: CachedLicense): string {
  const file: CacheFile = {
    format: CACHE_FORMAT,
    license_id: entry.licenseId,
    jwt: entry.jwt,
    // Throws a RangeError for a fetchedAt that is not a date: caught and reported as a failed write.
    fetched_at: new Date(entry.fetchedAt).toISOString(),
    key_fingerprint: entry.keyFingerprint,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function toCachedLicense(value: unknown): CachedLicense | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const file = value as Partial<Record<keyof CacheFile, unknown>>;
  if (file.format !== CACHE_FORMAT) return undefined;
  if (!isNonEmptyString(file.license_id) || !isNonEmptyString(file.jwt)) return undefined;
  if (typeof file.fetched_at !== 'string') return undefined;
  const fetchedAt = Date.parse(file.fetched_at);
  if (!Number.isFinite(fetchedAt)) return undefined;
  const fingerprint = file.key_fingerprint;
  if (fingerprint !== null && !(typeof fingerprint === 'string' && FINGERPRINT_PATTERN.test(fingerprint))) {
    return undefined;
  }
  return { jwt: file.jwt, fetchedAt, keyFingerprint: fingerprint, licenseId: file.license_id };
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
