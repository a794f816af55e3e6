/**
 * The fetch effect of a refresh: build the body, call the endpoint of the agent's mode, verify the
 * answer, record what was sent. Loaded with the first refresh (see `agent/refresh-path.ts`): a server that starts
 * on a valid cached license has no use for it until its next refresh is due.
 */
import type { FetchInput } from '../../machines/context.js';
import type { FetchLicense } from './create-effects.js';
import { LicenseError, LicenseVerificationError } from '../errors.js';
import type { VerifiedLicense } from '../license/claims.js';
import { checkSuccessor, type LicenseVerifier } from '../license/verify.js';
import type { ApiKeyClient } from '../net/api-key-client.js';
import type { HttpClient } from '../net/http.js';
import { refreshLicense } from '../net/refresh-client.js';
import { createSecretRedactor } from '../secret-redaction.js';
import type { AgentConfig } from '../config/options.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';
import { buildRefreshRequestBody, buildTokenRequestBody, type BodyFacts } from '../telemetry/body.js';

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
  readonly verify: LicenseVerifier;
  readonly now: () => number;
  readonly apiKeyClient: () => ApiKeyClient;
  readonly http: () => HttpClient;
  readonly bodyFacts: () => BodyFacts;
  readonly recordSent: (request: SentRequest) => void;
  /** The license server's clock, from the `Date` header of its last answer, if known: received tokens are judged by it. */
  readonly issuerNow?: (() => number | undefined) | undefined;
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

/** Every credential the agent holds, not only the one sent: a server may quote any of them. */
function heldSecrets(deps: RefreshDeps, input: FetchInput): Array<string | undefined> {
  return [deps.config.apiKey, deps.config.licenseKey, input.license?.jwt];
}

/**
 * The answer's token, verified as a successor of the current license. A refusal may quote the
 * token (its `kid`): a server can fill that with a fragment of our key, so the message is cut like
 * any server text, and a cut message drops its cause, which may hold the token's payload.
 */
async function verifyAnswer(deps: RefreshDeps, input: FetchInput, jwt: string): Promise<VerifiedLicense> {
  try {
    const received = await deps.verify(jwt, { now: deps.now(), purpose: 'received', issuerNow: deps.issuerNow?.() });
    checkSuccessor(input.license, received, input.mode === 'static-jwt');
    return received;
  } catch (error) {
    if (!(error instanceof LicenseVerificationError)) throw error;
    const message = createSecretRedactor(heldSecrets(deps, input))(error.message);
    throw message === error.message ? error : new LicenseVerificationError(message, error.claim === undefined ? {} : { claim: error.claim });
  }
}

async function requestJwt(deps: RefreshDeps, input: FetchInput, signal: AbortSignal): Promise<string | undefined> {
  const facts = deps.bodyFacts();
  const secrets = heldSecrets(deps, input);
  if (input.mode === 'api-key') {
    const body = buildTokenRequestBody(facts);
    const client = deps.apiKeyClient();
    return sending(deps, { endpoint: 'token', url: client.url, body }, () => client.fetchJwt(deps.config.apiKey as string, { body, signal, secrets }));
  }
  const license = input.license;
  const refreshUrl = license?.claims.refresh_url;
  if (!license || !refreshUrl) {
    throw new LicenseError('ERR_LICENSE_NO_REFRESH_PATH', 'this license has no refresh_url: nothing to refresh');
  }
  const body = buildRefreshRequestBody(license.claims.sub, facts);
  return sending(deps, { endpoint: 'refresh', url: refreshUrl, body }, () =>
    refreshLicense(deps.http(), { refreshUrl, jwt: license.jwt, body, signal, secrets }, deps.now));
}

/** The `fetchLicense` effect: resolves to a verified successor license, or `undefined` for "no change". */
export function createFetchLicense(deps: RefreshDeps): FetchLicense {
  return async (input, signal) => {
    const fetch = async () => {
      // Coordinating with peers takes a few file operations: a stop() meanwhile sends nothing.
      signal.throwIfAborted();
      const jwt = await requestJwt(deps, input, signal);
      if (jwt === undefined) return undefined;
      return verifyAnswer(deps, input, jwt);
    };
    return deps.coordinator ? deps.coordinator.run(input, signal, fetch) : fetch();
  };
}
