/**
 * The wire contract of the reference issuer: what `POST /api/v1/licenses/token` (SoftClient4ES's
 * token endpoint, `Authorization: Bearer sk-...`) and `POST /api/v1/licenses/refresh` (the
 * `refresh_url` of the static licenses it mints) answer to a recorded request. Pure decisions over the issuer's state,
 * so the HTTP layer only routes and writes.
 */
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { readTier, type Quotas } from '../license/claims.js';
import { authorizationCredentials, jsonObject, type RecordedRequest, type Reply } from './exchange.js';
import type { IssuerKeys } from './keys.js';
import { mintLicense, type LicenseTemplate } from './mint.js';

/** The token endpoint's path: an API key buys a license there. */
export const TOKEN_PATH = '/api/v1/licenses/token';
/** The refresh endpoint's path: a license presented there is re-issued (or answered with 204). */
export const REFRESH_PATH = '/api/v1/licenses/refresh';

/** How the refresh endpoint answers a valid request: a new JWT, or 204 "keep what you have". */
export type RefreshAnswer = 'reissue' | 'unchanged';

/** What the endpoints read; the server owns it and tests change it between requests. */
export interface IssuerState {
  readonly keys: IssuerKeys;
  readonly apiKeys: Map<string, LicenseTemplate>;
  readonly licenses: Map<string, LicenseTemplate>;
  readonly refreshAnswer: RefreshAnswer;
  readonly now: () => number;
}

/** Errors as SoftClient4ES's endpoint words them: `{ "message": "..." }`. */
function error(status: number, message: string): Reply {
  return { status, body: { message } };
}

/** `POST /api/v1/licenses/token`: an API key buys the license its template describes. */
export async function answerToken(state: IssuerState, request: RecordedRequest): Promise<Reply> {
  const apiKey = authorizationCredentials(request.headers, 'Bearer');
  const template = apiKey === undefined ? undefined : state.apiKeys.get(apiKey);
  if (!template) return error(401, 'unknown API key');
  // The fields are not checked: a reference server accepts what a future agent may add.
  if (!jsonObject(request.body)) return error(400, 'body must be a JSON object');
  return { status: 200, body: { jwt: await mintLicense(state.keys, template, { now: state.now() }) } };
}

function describeRejection(cause: unknown): string {
  if (cause instanceof joseErrors.JWKSNoMatchingKey) return 'license is signed by an unknown key';
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return 'license signature is invalid';
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return 'license algorithm is not EdDSA';
  return 'license is not a valid JWT';
}

/**
 * Verifies a presented license against the issuer's own key. An expired license is accepted: it is
 * exactly the one an agent most needs to refresh, and jose checks the signature before `exp`.
 */
async function verifyPresented(state: IssuerState, jwt: string): Promise<JWTPayload | string> {
  try {
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(state.keys.jwks), {
      algorithms: ['EdDSA'],
      currentDate: new Date(state.now()),
    });
    return payload;
  } catch (cause) {
    if (cause instanceof joseErrors.JWTExpired) return cause.payload;
    return describeRejection(cause);
  }
}

/** A template that re-issues a presented license as it is, with a fresh `iat` and a 30-day `exp`. */
export function templateFromClaims(payload: JWTPayload): LicenseTemplate {
  const { sub, tier, features, quotas, trial, platform, refresh_url, iat: _iat, exp: _exp, ...extra } = payload;
  return {
    sub: String(sub),
    tier: readTier(tier),
    ...(Array.isArray(features) ? { features: features as string[] } : {}),
    ...(jsonObject(quotas) ? { quotas: templateQuotas(quotas as Record<string, number | null>) } : {}),
    ...(typeof trial === 'boolean' ? { trial } : {}),
    ...(typeof platform === 'string' ? { platform } : {}),
    ...(typeof refresh_url === 'string' ? { refresh_url } : {}),
    extra,
  };
}

/** A JWT's quotas as a template's: `max_result_rows` is the API's `max_query_results`. */
function templateQuotas(claims: Record<string, number | null>): Partial<Quotas> {
  const { max_result_rows, max_query_results, ...rest } = claims;
  const rows = max_result_rows ?? max_query_results;
  return { ...rest, ...(rows === undefined ? {} : { max_query_results: rows }) };
}

function reissueTemplate(state: IssuerState, presented: JWTPayload, sub: string): LicenseTemplate {
  const configured = state.licenses.get(sub);
  if (!configured) return templateFromClaims(presented);
  // The license keeps refreshing where it already does unless its template says otherwise.
  const refreshUrl = configured.refresh_url ?? (typeof presented['refresh_url'] === 'string' ? presented['refresh_url'] : undefined);
  return { ...configured, sub, ...(refreshUrl === undefined ? {} : { refresh_url: refreshUrl }) };
}

/** `POST /api/v1/licenses/refresh`: a license presents itself and receives its successor. */
export async function answerRefresh(state: IssuerState, request: RecordedRequest): Promise<Reply> {
  const jwt = authorizationCredentials(request.headers, 'Bearer');
  if (jwt === undefined) return error(401, 'missing bearer token');
  const presented = await verifyPresented(state, jwt);
  if (typeof presented === 'string') return error(401, presented);
  if (typeof presented.sub !== 'string' || presented.sub.length === 0) return error(401, 'license has no sub');

  const body = jsonObject(request.body);
  if (!body) return error(400, 'body must be a JSON object');
  if (body['license_id'] !== presented.sub) return error(400, 'license_id does not match the presented license');

  if (state.refreshAnswer === 'unchanged') return { status: 204 };
  const template = reissueTemplate(state, presented, presented.sub);
  return { status: 200, body: { jwt: await mintLicense(state.keys, template, { now: state.now() }) } };
}
