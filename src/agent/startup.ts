/**
 * Start-up: read the state directory, find the best verified license the agent already has
 * (configured or cached), and turn that into the statechart's input. Nothing here throws for
 * license or disk trouble: each problem is logged once and the agent starts on what it could get.
 */
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AgentInput, AgentMode } from '../../machines/context.js';
import { expiresAtMs, isPastGrace } from '../../machines/validity.js';
import type { VerifiedLicense } from '../license/claims.js';
import type { LicenseVerifier } from '../license/verify.js';
import { formatDuration } from '../config/duration.js';
import { errorFields } from '../log.js';
import type { AgentConfig } from '../config/options.js';
import { fingerprintApiKey, LicenseCache, type CachedEntries, type CachedLicense } from '../state/license-cache.js';
import { readFileIfExists, removeOrphanedTempFiles } from '../state/atomic-file.js';
import { INSTANCE_ID_FILE, isUuid, loadInstanceId } from '../state/instance-id.js';
import { SentLedger } from '../state/sent-ledger.js';
import { ensureStateDir, resolveStateDir } from '../state/state-dir.js';
import { randomUUID } from '../random.js';

export interface StartupDeps {
  readonly config: AgentConfig;
  readonly env: Record<string, string | undefined>;
  readonly log: Logger;
  readonly verify: LicenseVerifier;
  readonly now: number;
}

export interface StartupResult {
  /** `undefined` when no state directory could be found: the agent then keeps its state in memory. */
  readonly stateDir: string | undefined;
  readonly instanceId: string;
  readonly cache: LicenseCache | undefined;
  /** The ledger of every body sent, `<stateDir>/sent.jsonl`. */
  readonly ledger: SentLedger | undefined;
  /** The SHA-256 of the API key, stored with the cache so a changed key is noticed. */
  readonly keyFingerprint: string | null;
  readonly input: AgentInput;
}

/**
 * What is known of the configured JWT: `'in-force'` (it verifies and is within grace), `'lapsed'`
 * (it verifies, past its grace period), `'unverified'` (configured, not checked yet: before start),
 * or `undefined` (none is configured, or it does not verify).
 */
export type ConfiguredJwt = 'in-force' | 'lapsed' | 'unverified' | undefined;

/**
 * SoftClient4ES's resolution order: a configured JWT that verifies and is within grace wins (the API
 * key is not called); otherwise the API key; otherwise the configured JWT past its grace period
 * (degraded, but it may still refresh through its `refresh_url`); otherwise Community. Before start
 * nothing is verified yet, so a configured API key comes first.
 *
 * @example
 * resolveMode({ apiKey: undefined }, 'unverified'); // 'static-jwt'
 */
export function resolveMode(config: Pick<AgentConfig, 'apiKey'>, jwt: ConfiguredJwt): AgentMode {
  if (jwt === 'in-force') return 'static-jwt';
  if (config.apiKey) return 'api-key';
  return jwt === undefined ? 'community' : 'static-jwt';
}

async function verifyStored(jwt: string, deps: StartupDeps): Promise<VerifiedLicense | undefined> {
  try {
    return await deps.verify(jwt, { now: deps.now, purpose: 'stored' });
  } catch {
    return undefined;
  }
}

/** The configured static JWT, verified; an `error` log and `undefined` when it does not verify. */
async function configuredLicense(deps: StartupDeps): Promise<VerifiedLicense | undefined> {
  const jwt = deps.config.licenseKey;
  if (!jwt) return undefined;
  try {
    return await deps.verify(jwt, { now: deps.now, purpose: 'stored' });
  } catch (error) {
    const next = deps.config.apiKey ? 'using the API key instead' : 'running in Community mode';
    deps.log.error({ err: errorFields(error) }, `license expired or invalid - ${next} (the configured license key does not verify)`);
    return undefined;
  }
}

/** Still in force: not expired, or expired less than the grace period ago. */
function withinGrace(license: VerifiedLicense, deps: StartupDeps): boolean {
  return !isPastGrace(expiresAtMs(license.claims), deps.config.gracePeriodMs, deps.now);
}

/**
 * The cached license, verified and within grace; one that does not verify or is past grace is of no
 * use to anyone and is deleted, as SoftClient4ES deletes it. A cache fetched with another API key
 * is left alone: it is that key's, and a fetch with ours replaces it.
 */
async function usableCache(cached: CachedLicense | undefined, fingerprint: string, cache: LicenseCache | undefined, deps: StartupDeps) {
  if (!cached || (cached.keyFingerprint !== null && cached.keyFingerprint !== fingerprint)) return undefined;
  const license = await verifyStored(cached.jwt, deps);
  if (license && withinGrace(license, deps)) return license;
  deps.log.warn(license ? 'cached license is past its grace period; deleting it' : 'cached license no longer verifies; deleting it');
  await cache?.discard(cached.jwt);
  return undefined;
}

/**
 * API-key mode: the fetch comes first, as in SoftClient4ES, with one deliberate difference: a cache
 * fetched with this very key less than an interval ago stands in for the fetch (the schedule survives
 * restarts, so a fleet restart is not a burst of requests). A cache of unknown provenance (written by
 * SoftClient4ES, or by another key) serves only while the first fetch is awaited.
 */
function apiKeyInput(cachedLicense: VerifiedLicense | undefined, cached: CachedLicense | undefined, fingerprint: string, deps: StartupDeps) {
  if (cachedLicense && cached && cached.keyFingerprint === fingerprint) {
    const expiresAt = expiresAtMs(cachedLicense.claims);
    // An expired cached license still serves through its grace period, but it is not a valid one:
    // fetch at once (even with refresh disabled) and back off quickly until a fetch succeeds.
    const expired = expiresAt !== undefined && expiresAt <= deps.now;
    // Driver mode (refresh disabled) fetches once at start, unless the cache is under an interval old.
    const { enabled, intervalMs } = deps.config.refresh;
    const stale = !enabled && cached.fetchedAt + intervalMs <= deps.now;
    return { license: cachedLicense, lastRefreshAt: cached.fetchedAt, needsFirstLicense: expired || stale };
  }
  return { license: cachedLicense, lastRefreshAt: undefined, needsFirstLicense: true };
}

/**
 * Static-JWT mode: a cached JWT for the same license with a later `iat` is an earlier refresh's
 * upgrade and wins; the cache's refresh time keeps the schedule across restarts.
 */
async function staticInput(configured: VerifiedLicense, cached: CachedLicense | undefined, deps: StartupDeps) {
  if (!cached || cached.licenseId !== configured.claims.sub) {
    return { license: configured, lastRefreshAt: undefined, needsFirstLicense: false };
  }
  const cachedLicense = await verifyStored(cached.jwt, deps);
  if (!cachedLicense) deps.log.warn('cached license no longer verifies; using the configured license');
  if (!cachedLicense || cachedLicense.claims.sub !== configured.claims.sub || (cachedLicense.claims.iat ?? 0) < (configured.claims.iat ?? 0)) {
    return { license: configured, lastRefreshAt: undefined, needsFirstLicense: false };
  }
  return { license: cachedLicense, lastRefreshAt: cached.fetchedAt, needsFirstLicense: false };
}

/**
 * Finds and prepares the state dir, with at most one warning: none at all (no home), a path that
 * cannot be a directory, or a directory this process cannot write (a read-only root filesystem).
 * A read-only dir is still read: an id and a cache put there by an image or an init job are used.
 */
async function openStateDir(deps: StartupDeps): Promise<{ stateDir: string | undefined; writable: boolean }> {
  const stateDir = await findStateDir(deps);
  if (stateDir === undefined) return { stateDir, writable: false };
  try {
    await ensureStateDir(stateDir);
  } catch (error) {
    deps.log.warn({ err: errorFields(error), stateDir }, 'state directory unavailable; instance id and license cache kept in memory');
    return { stateDir: undefined, writable: false };
  }
  const problem = await writeProblem(stateDir);
  if (problem) {
    deps.log.warn({ stateDir, code: problem }, `state directory is not writable (${problem}); instance id and license cache kept in memory`);
  }
  return { stateDir, writable: problem === undefined };
}

/** The errno code that keeps us from writing in `dir`, or `undefined` when a probe file can be written. */
async function writeProblem(dir: string): Promise<string | undefined> {
  const probe = path.join(dir, `.write-probe.${process.pid}.${randomUUID()}`);
  try {
    await writeFile(probe, '', { flag: 'wx', mode: 0o600 });
    await unlink(probe);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  }
}

/** The persisted id of a read-only state dir, or a fresh in-memory one. */
async function readInstanceId(dir: string): Promise<string> {
  const text = await readFileIfExists(path.join(dir, INSTANCE_ID_FILE)).catch(() => undefined);
  const id = text?.trim();
  return id && isUuid(id) ? id : randomUUID();
}

async function findStateDir(deps: StartupDeps): Promise<string | undefined> {
  try {
    return await resolveStateDir({ stateDir: deps.config.stateDir, env: deps.env });
  } catch (error) {
    deps.log.warn({ err: errorFields(error) }, 'no state directory; instance id and license cache kept in memory');
    return undefined;
  }
}

/**
 * A promise awaited later, with other work awaited first: should it fail meanwhile, the failure
 * waits for its await (and reaches start()'s caller) instead of being an unhandled rejection.
 */
function meanwhile<T>(promise: Promise<T>): Promise<T>;
function meanwhile<T>(promise: Promise<T> | undefined): Promise<T> | undefined;
function meanwhile<T>(promise: Promise<T> | undefined): Promise<T> | undefined {
  promise?.catch(() => undefined);
  return promise;
}

type ChosenLicense = Pick<AgentInput, 'license' | 'lastRefreshAt' | 'needsFirstLicense'>;

/** The license the agent starts on in `mode`, from what the configuration and the cache hold. */
async function chooseLicense(
  mode: AgentMode,
  configured: VerifiedLicense | undefined,
  entries: CachedEntries | undefined,
  held: { keyFingerprint: string | null; cache: LicenseCache | undefined },
  deps: StartupDeps,
): Promise<ChosenLicense> {
  const { config, log } = deps;
  if (mode === 'api-key' && configured) log.warn('configured license key is past its grace period; using the API key instead');
  if (mode === 'api-key') {
    const fingerprint = held.keyFingerprint as string;
    // The JWT fetched with an API key (ours, or SoftClient4ES's beside us): never a static one.
    const cached = entries?.fetched;
    const cachedLicense = await usableCache(cached, fingerprint, held.cache, deps);
    if (cachedLicense) log.info({ licenseId: cachedLicense.claims.sub, tier: cachedLicense.claims.tier }, 'using cached license');
    return apiKeyInput(cachedLicense, cached, fingerprint, deps);
  }
  if (mode === 'static-jwt' && configured) return staticInput(configured, entries?.staticJwt, deps);
  // No license, or a configured one that does not verify: Community, with no refresh path to trust.
  if (!config.licenseKey) log.info('no license configured - running in Community mode');
  return { license: undefined, lastRefreshAt: undefined, needsFirstLicense: false };
}

/** Intervals this short are for tests and demos: a fleet on them would hammer the license server. */
const MIN_SENSIBLE_INTERVAL_MS = 60_000;

export async function prepareStartup(deps: StartupDeps): Promise<StartupResult> {
  const { config, log } = deps;
  const { intervalMs } = config.refresh;
  if (intervalMs < MIN_SENSIBLE_INTERVAL_MS) {
    log.warn({ intervalMs }, `refresh interval of ${formatDuration(intervalMs)} is under 1 minute: meant for tests and demos only`);
  }
  const mayCache = config.apiKey !== undefined || config.licenseKey !== undefined;
  // The start-up work overlaps where it can: verifying the configured license needs no disk, and
  // the cache, the instance id and the clean-up of dead processes' temp files are separate files.
  const configuring = meanwhile(configuredLicense(deps));
  const { stateDir, writable } = await openStateDir(deps);
  const reader = stateDir === undefined ? undefined : new LicenseCache(stateDir, log);
  const reading = mayCache ? meanwhile(reader?.readEntries()) : undefined;
  const cleaning = writable && stateDir !== undefined ? meanwhile(removeOrphanedTempFiles(stateDir)) : undefined;
  // A pinned id (containers) wins; otherwise the state dir's, or a fresh in-memory one.
  const instanceId = config.instanceId ?? (stateDir === undefined
    ? randomUUID()
    : writable ? (await loadInstanceId(stateDir, log)).id : await readInstanceId(stateDir));
  // Only a writable state dir gets a cache to write and a ledger: a read-only one was warned about once.
  const cache = writable ? reader : undefined;
  const ledger = writable && stateDir !== undefined ? new SentLedger(stateDir, log) : undefined;

  const [configured, entries, keyFingerprint] = await Promise.all([
    configuring,
    reading,
    config.apiKey ? fingerprintApiKey(config.apiKey) : null,
    cleaning,
  ]);

  const mode = resolveMode(config, configured === undefined ? undefined : withinGrace(configured, deps) ? 'in-force' : 'lapsed');
  const chosen = await chooseLicense(mode, configured, entries, { keyFingerprint, cache }, deps);
  return {
    stateDir,
    instanceId,
    cache,
    ledger,
    keyFingerprint,
    input: machineInput(config, mode, chosen),
  };
}

function machineInput(config: AgentConfig, mode: AgentMode, chosen: ChosenLicense): AgentInput {
  return {
    mode,
    refreshEnabled: config.refresh.enabled,
    networkAllowed: !config.offline,
    gracePeriodMs: config.gracePeriodMs,
    intervalMs: config.refresh.intervalMs,
    jitter: config.refresh.jitter,
    ...chosen,
    apiKeyFallback: mode === 'static-jwt' && config.apiKey !== undefined,
  };
}
