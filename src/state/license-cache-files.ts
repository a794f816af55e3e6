/**
 * The license cache's files and what each change does to them: which file an entry goes to and in
 * which order, what discarding a JWT removes, how an entry of the legacy file is adopted. No queue
 * and no logging: `LicenseCache` runs these one at a time and reports what fails.
 */
import { unlink } from 'node:fs/promises';
import { sha256Hex } from '../random.js';
import { writeFileAtomic } from './atomic-file.js';
import type { CachedLicense } from './cached-license.js';
import {
  parseLicenseState,
  serializeLicenseState,
  type FetchedRecord,
  type LegacyEntry,
  type LicenseState,
  type StaticRecord,
} from './license-state.js';
import { readSmallFile, type SmallFile } from './small-file.js';

/** A larger `license-cache.jwt` is not a JWT we wrote: SoftClient4ES ignores it too (64 KiB). */
export const MAX_LICENSE_CACHE_BYTES = 65_536;

/** The agent's own files hold a JWT plus a few fields: room for the largest cache, with margin. */
const MAX_STATE_BYTES = 4 * MAX_LICENSE_CACHE_BYTES;

/** The absolute paths of one state directory's cache files. */
export interface CachePaths {
  /** The shared cache, `license-cache.jwt`. */
  readonly path: string;
  /** The agent's own `license-state.json`. */
  readonly statePath: string;
  /** The `license-cache.json` of earlier versions. */
  readonly legacyPath: string;
}

/** `license-cache.jwt`, read with care. */
export function readSharedCache(paths: CachePaths): Promise<SmallFile> {
  return readSmallFile(paths.path, MAX_LICENSE_CACHE_BYTES);
}

/** The legacy `license-cache.json`, read with care. */
export function readLegacyCache(paths: CachePaths): Promise<SmallFile> {
  return readSmallFile(paths.legacyPath, MAX_STATE_BYTES);
}

/** `license-state.json`: its state, or why it cannot be used; `undefined` when there is none. */
export async function readStateFile(paths: CachePaths): Promise<{ readonly state: LicenseState } | { readonly problem: string } | undefined> {
  const file = await readSmallFile(paths.statePath, MAX_STATE_BYTES);
  if (file === undefined) return undefined;
  if ('problem' in file) return file;
  const state = parseLicenseState(file.text);
  return state ? { state } : { problem: 'unexpected content or format' };
}

/** The state a change builds on: empty when the file is missing or unusable, which the change then replaces. */
async function currentState(paths: CachePaths): Promise<LicenseState> {
  const found = await readStateFile(paths);
  return found && 'state' in found ? found.state : {};
}

async function fetchedRecordOf(entry: CachedLicense, keyFingerprint: string): Promise<FetchedRecord> {
  return { jwtSha256: await sha256Hex(entry.jwt), licenseId: entry.licenseId, fetchedAt: entry.fetchedAt, keyFingerprint };
}

function staticRecordOf(entry: CachedLicense): StaticRecord {
  return { jwt: entry.jwt, licenseId: entry.licenseId, fetchedAt: entry.fetchedAt };
}

/**
 * Writes `entry` atomically: with an API key fingerprint, its JWT alone to `license-cache.jwt` and
 * its record to `license-state.json`; without one (static-JWT mode), to `license-state.json` only.
 */
export async function storeEntry(paths: CachePaths, entry: CachedLicense): Promise<void> {
  const state = await currentState(paths);
  if (entry.keyFingerprint === null) {
    await writeFileAtomic(paths.statePath, serializeLicenseState({ ...state, staticJwt: staticRecordOf(entry) }));
    return;
  }
  const apiKey = await fetchedRecordOf(entry, entry.keyFingerprint);
  // Serialized first: a date that cannot be stored (RangeError) fails the write before any file changes.
  const stateText = serializeLicenseState({ ...state, apiKey });
  // The JWT first: SoftClient4ES sees it at once, and until the record follows, the agent
  // reads it as a JWT of unknown provenance (which it is, to a reader at that instant).
  await writeFileAtomic(paths.path, entry.jwt);
  await writeFileAtomic(paths.statePath, stateText);
}

/**
 * Removes the entry holding `jwt` (any entry fetched with an API key when `jwt` is `undefined`). A
 * `license-cache.jwt` that holds another JWT, or is a link, is left alone.
 */
export async function removeEntry(paths: CachePaths, jwt: string | undefined): Promise<void> {
  const shared = await readSharedCache(paths);
  // Never a link (it points elsewhere) and never a JWT other than the one refused.
  if (shared && 'text' in shared && (jwt === undefined || shared.text.trim() === jwt)) await unlink(paths.path);
  const state = await currentState(paths);
  const sha = jwt === undefined ? undefined : await sha256Hex(jwt);
  const dropFetched = state.apiKey !== undefined && (sha === undefined || state.apiKey.jwtSha256 === sha);
  const dropStatic = state.staticJwt !== undefined && state.staticJwt.jwt === jwt;
  if (!dropFetched && !dropStatic) return;
  const next: LicenseState = {
    ...(!dropFetched && state.apiKey && { apiKey: state.apiKey }),
    ...(!dropStatic && state.staticJwt && { staticJwt: state.staticJwt }),
  };
  if (next.apiKey || next.staticJwt) await writeFileAtomic(paths.statePath, serializeLicenseState(next));
  else await unlink(paths.statePath);
}

/** Writes a legacy entry into the new files, unless the slot it would fill is taken (by a newer entry). */
export async function adoptLegacyEntry(paths: CachePaths, entry: LegacyEntry): Promise<void> {
  const state = await currentState(paths);
  if (entry.keyFingerprint === null) {
    if (state.staticJwt) return;
    return writeFileAtomic(paths.statePath, serializeLicenseState({ ...state, staticJwt: staticRecordOf(entry) }));
  }
  const shared = await readSharedCache(paths);
  const sharedJwt = shared && 'text' in shared ? shared.text.trim() : undefined;
  // Another JWT is there already (SoftClient4ES's, or ours since): it is the newer one.
  if (shared !== undefined && sharedJwt !== entry.jwt && sharedJwt !== '') return;
  const apiKey = await fetchedRecordOf(entry, entry.keyFingerprint);
  const stateText = serializeLicenseState({ ...state, apiKey });
  if (sharedJwt !== entry.jwt) await writeFileAtomic(paths.path, entry.jwt);
  await writeFileAtomic(paths.statePath, stateText);
}
