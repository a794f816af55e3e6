/**
 * The effects the statechart invokes around a refresh: the fetch itself (build the body, call the
 * endpoint of the agent's mode, verify the answer), persisting the adopted license, and the log
 * line of a failure. Provided into the machine by `agent.ts`.
 */
import type { Logger } from 'pino';
import type { AgentContext, FetchInput, FetchOutput } from '../machines/context.js';
import { EXPIRY_THRESHOLD_MS } from '../machines/schedule.js';
import { LicenseError } from './errors.js';
import { checkSuccessor, type LicenseVerifier } from './license/verify.js';
import { errorFields } from './log.js';
import type { ApiKeyClient } from './net/api-key-client.js';
import type { HttpClient } from './net/http.js';
import { refreshLicense } from './net/refresh-client.js';
import type { AgentConfig } from './options.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';
import type { LicenseCache } from './state/license-cache.js';
import { buildRefreshRequestBody, buildTokenRequestBody, type BodyFacts } from './telemetry/body.js';

/** One request that left the machine, for the ledger of what was sent. */
export interface SentRequest {
  readonly endpoint: 'token' | 'refresh';
  readonly url: string;
  readonly body: object;
  /** The HTTP status of the answer, or `null` when there was none. */
  readonly status: number | null;
}

export interface RefreshDeps {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly verify: LicenseVerifier;
  readonly now: () => number;
  readonly apiKeyClient: () => ApiKeyClient;
  readonly http: () => HttpClient;
  readonly bodyFacts: () => BodyFacts;
  readonly recordSent: (request: SentRequest) => void;
  /** Told of each fetch as it starts, so that `stop()` can wait for an aborted one to settle. */
  readonly onFetch?: (settled: Promise<unknown>) => void;
  /** Takes turns with peer processes sharing the state dir; absent when there is no state dir. */
  readonly coordinator: RefreshCoordinator | undefined;
}

/** The HTTP status a request ended with: the success's, the refusal's, or none (network failure). */
function statusOf(error: unknown, success: number): number | null {
  if (error === undefined) return success;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return status;
  // A 200 whose body is unusable still reached us as a 200.
  return (error as { code?: unknown }).code === 'ERR_LICENSE_RESPONSE' ? 200 : null;
}

async function sending<T>(deps: RefreshDeps, request: Omit<SentRequest, 'status'>, run: () => Promise<T>): Promise<T> {
  let failure: unknown;
  let result: T | undefined;
  try {
    result = await run();
    return result;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    deps.recordSent({ ...request, status: statusOf(failure, result === undefined ? 204 : 200) });
  }
}

async function requestJwt(deps: RefreshDeps, input: FetchInput, signal: AbortSignal): Promise<string | undefined> {
  const facts = deps.bodyFacts();
  if (input.mode === 'api-key') {
    const body = buildTokenRequestBody(facts);
    const client = deps.apiKeyClient();
    return sending(deps, { endpoint: 'token', url: client.url, body }, () => client.fetchJwt(deps.config.apiKey as string, { body, signal }));
  }
  const license = input.license;
  const refreshUrl = license?.claims.refresh_url;
  if (!license || !refreshUrl) {
    throw new LicenseError('ERR_LICENSE_NO_REFRESH_PATH', 'this license has no refresh_url: nothing to refresh');
  }
  const body = buildRefreshRequestBody(license.claims.sub, facts);
  return sending(deps, { endpoint: 'refresh', url: refreshUrl, body }, () =>
    refreshLicense(deps.http(), { refreshUrl, jwt: license.jwt, body, signal }, deps.now));
}

/** The `fetchLicense` effect: resolves to a verified successor license, or `undefined` for "no change". */
export function createFetchLicense(deps: RefreshDeps) {
  return async (input: FetchInput, signal: AbortSignal): Promise<FetchOutput> => {
    const fetch = async () => {
      const jwt = await requestJwt(deps, input, signal);
      if (jwt === undefined) return undefined;
      const received = await deps.verify(jwt, { now: deps.now(), purpose: 'received' });
      checkSuccessor(input.license, received, input.mode === 'static-jwt');
      return received;
    };
    const work = deps.coordinator ? deps.coordinator.run(input, signal, fetch) : fetch();
    deps.onFetch?.(work.catch(() => undefined));
    return work;
  };
}

/** The `persistLicense` action: mirror the adopted license to the cache (an atomic write, queued). */
export function createPersistLicense(cache: LicenseCache | undefined, keyFingerprint: string | null, coordinator?: RefreshCoordinator) {
  return ({ context }: { context: AgentContext }) => {
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
      nextRefreshAt: new Date(context.nextRefreshAt).toISOString(),
    };
    const exp = context.license?.claims.exp;
    // Under 48 hours from expiry, and through grace, a failing refresh is an error: it will cost a tier.
    const urgent = exp !== undefined && exp * 1000 - now() <= EXPIRY_THRESHOLD_MS;
    if (err.status === 401 || err.status === 403) {
      log.error(fields, `license refresh rejected: ${err.message}; keeping the current license`);
    } else if (urgent) {
      log.error({ ...fields, expiresAt: new Date(exp * 1000).toISOString() }, `license refresh failed: ${err.message}; the license expires (or expired) at ${new Date(exp * 1000).toISOString()}; keeping it while it lasts`);
    } else {
      log.warn(fields, `license refresh failed: ${err.message}; keeping the current license`);
    }
  };
}
