/**
 * The agent's own file beside the shared cache: `<stateDir>/license-state.json` holds what the agent
 * needs and SoftClient4ES's `license-cache.jwt` cannot say (which API key fetched that JWT, when, and
 * a static-JWT mode refresh, which never goes to the shared file). Also the reader of this package's
 * earlier `license-cache.json`, which is migrated into the two files. Pure: parsing and serializing,
 * no I/O.
 */

/** The file name of the agent's license state inside the state directory. */
export const LICENSE_STATE_FILE = 'license-state.json';

/** The file name of the license cache written by versions 0.1.x of this package (format 1). */
export const LEGACY_LICENSE_CACHE_FILE = 'license-cache.json';

/** The version of the `license-state.json` layout; a file of another version is ignored. */
const STATE_FORMAT = 1;

/** The only format `license-cache.json` ever had. */
const LEGACY_FORMAT = 1;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the agent knows about the JWT in `license-cache.jwt`, bound to it by the JWT's SHA-256. */
export interface FetchedRecord {
  /** SHA-256 (hex) of the JWT this record describes: a rewritten `license-cache.jwt` no longer matches. */
  readonly jwtSha256: string;
  readonly licenseId: string;
  /** Milliseconds since the epoch of the fetch. */
  readonly fetchedAt: number;
  /** SHA-256 (hex) of the API key the JWT was fetched with. */
  readonly keyFingerprint: string;
}

/** The last JWT a static-JWT mode refresh brought: kept here, never in the shared file. */
export interface StaticRecord {
  readonly jwt: string;
  readonly licenseId: string;
  /** Milliseconds since the epoch of the refresh. */
  readonly fetchedAt: number;
}

/** The content of `license-state.json`; each part is absent when there is nothing to say. */
export interface LicenseState {
  readonly apiKey?: FetchedRecord;
  readonly staticJwt?: StaticRecord;
}

/** An entry of the legacy `license-cache.json`, as it was stored. */
export interface LegacyEntry {
  readonly jwt: string;
  readonly fetchedAt: number;
  readonly keyFingerprint: string | null;
  readonly licenseId: string;
}

type Fields = Readonly<Record<string, unknown>>;

function asFields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** An ISO 8601 date as milliseconds, or `undefined`: numbers are refused, as the writer never wrote one. */
function parseDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The fields of `text`, a JSON object whose `format` is `format`; `undefined` for anything else. */
function parseFileOfFormat(text: string, format: number): Fields | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parse error is not kept: its message may quote the file, which can hold a JWT.
    return undefined;
  }
  const file = asFields(value);
  return file && file['format'] === format ? file : undefined;
}

/**
 * Parses `license-state.json`. A part that does not hold up is dropped on its own: a damaged static
 * record must not cost the record of the fetched JWT, and the other way round.
 *
 * @returns the state, or `undefined` when the text is not JSON of this format.
 *
 * @example
 * ```ts
 * const state = parseLicenseState(text) ?? {};
 * ```
 */
export function parseLicenseState(text: string): LicenseState | undefined {
  const file = parseFileOfFormat(text, STATE_FORMAT);
  if (!file) return undefined;
  const apiKey = parseFetchedRecord(file['api_key']);
  const staticJwt = parseStaticRecord(file['static_jwt']);
  return { ...(apiKey && { apiKey }), ...(staticJwt && { staticJwt }) };
}

function parseFetchedRecord(value: unknown): FetchedRecord | undefined {
  const part = asFields(value);
  if (!part) return undefined;
  const { jwt_sha256: jwtSha256, license_id: licenseId, key_fingerprint: keyFingerprint } = part;
  const fetchedAt = parseDate(part['fetched_at']);
  if (!isSha256Hex(jwtSha256) || !isNonEmptyString(licenseId) || !isSha256Hex(keyFingerprint) || fetchedAt === undefined) {
    return undefined;
  }
  return { jwtSha256, licenseId, fetchedAt, keyFingerprint };
}

function parseStaticRecord(value: unknown): StaticRecord | undefined {
  const part = asFields(value);
  if (!part) return undefined;
  const { jwt, license_id: licenseId } = part;
  const fetchedAt = parseDate(part['fetched_at']);
  if (!isNonEmptyString(jwt) || !isNonEmptyString(licenseId) || fetchedAt === undefined) return undefined;
  return { jwt, licenseId, fetchedAt };
}

/**
 * The text of `license-state.json` for `state`: indented JSON, snake_case, ISO 8601 dates.
 *
 * @throws {RangeError} for a date that is not one (`NaN`): the write is then reported as failed.
 *
 * @example
 * ```ts
 * await writeFileAtomic(statePath, serializeLicenseState({ ...state, staticJwt: record }));
 * ```
 */
export function serializeLicenseState(state: LicenseState): string {
  const file: Record<string, unknown> = { format: STATE_FORMAT };
  if (state.apiKey) {
    file['api_key'] = {
      jwt_sha256: state.apiKey.jwtSha256,
      license_id: state.apiKey.licenseId,
      fetched_at: new Date(state.apiKey.fetchedAt).toISOString(),
      key_fingerprint: state.apiKey.keyFingerprint,
    };
  }
  if (state.staticJwt) {
    file['static_jwt'] = {
      license_id: state.staticJwt.licenseId,
      jwt: state.staticJwt.jwt,
      fetched_at: new Date(state.staticJwt.fetchedAt).toISOString(),
    };
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Parses the legacy `license-cache.json` (`{ format: 1, license_id, jwt, fetched_at, key_fingerprint }`).
 *
 * @returns the entry, or `undefined` when the text is not that format.
 *
 * @example
 * ```ts
 * const legacy = parseLegacyCache(await readFile(legacyPath, 'utf8'));
 * ```
 */
export function parseLegacyCache(text: string): LegacyEntry | undefined {
  const file = parseFileOfFormat(text, LEGACY_FORMAT);
  if (!file) return undefined;
  const { jwt, license_id: licenseId, key_fingerprint: keyFingerprint } = file;
  const fetchedAt = parseDate(file['fetched_at']);
  if (!isNonEmptyString(jwt) || !isNonEmptyString(licenseId) || fetchedAt === undefined) return undefined;
  if (keyFingerprint !== null && !isSha256Hex(keyFingerprint)) return undefined;
  return { jwt, fetchedAt, keyFingerprint, licenseId };
}

/**
 * The `sub` claim of a compact JWT, read without verifying anything (the caller verifies the JWT
 * later), or `undefined` when `jwt` is not a JWT with a string `sub`.
 *
 * @example
 * ```ts
 * jwtSubject(readFromSharedCache); // 'org-acme-123'
 * ```
 */
export function jwtSubject(jwt: string): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  try {
    const payload = asFields(JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')));
    const sub = payload?.['sub'];
    return isNonEmptyString(sub) ? sub : undefined;
  } catch {
    return undefined;
  }
}
