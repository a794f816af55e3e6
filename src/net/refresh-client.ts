/**
 * Static-JWT mode's endpoint: `POST {refresh_url}` with the current JWT as `Authorization: Bearer`.
 */
import type { HttpClient } from './http.js';
import { readJwtAnswer } from './license-answer.js';
import type { RefreshRequestBody } from '../telemetry/body.js';

export interface RefreshRequest {
  readonly refreshUrl: string;
  readonly jwt: string;
  readonly body: RefreshRequestBody;
  readonly signal?: AbortSignal | undefined;
  /** The other credentials the caller holds (an API key): cut, with the JWT, out of any server text quoted. */
  readonly secrets?: readonly (string | undefined)[] | undefined;
}

/**
 * Refreshes a static license at its `refresh_url`. Resolves to the new, not yet verified JWT, or to
 * `undefined` when the server answers `204` (no change).
 */
export async function refreshLicense(http: HttpClient, request: RefreshRequest, now: () => number): Promise<string | undefined> {
  const answer = await http.postJson({
    url: request.refreshUrl,
    authorization: `Bearer ${request.jwt}`,
    body: request.body,
    signal: request.signal,
  });
  return readJwtAnswer(answer, { allowNoContent: true, now: now(), secrets: [request.jwt, ...(request.secrets ?? [])] });
}
