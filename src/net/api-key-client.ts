/**
 * API-key mode's endpoint, SoftClient4ES's token endpoint: `POST {serverUrl}/api/v1/licenses/token`
 * with `Authorization: Bearer sk-...`.
 */
import { LicenseConfigError } from '../errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS } from '../config/options.js';
import { apiKeyProblem } from './api-key-format.js';
import { createHttpClient, type HttpClient, type HttpTimeouts } from './http.js';
import { readJwtAnswer } from './license-answer.js';
import type { TokenRequestBody } from '../telemetry/body.js';

/** The token endpoint's path on the license server. */
export const TOKEN_PATH = '/api/v1/licenses/token';

/**
 * The token endpoint of the license server at `serverUrl` (trailing slashes ignored).
 *
 * @example
 * tokenUrl('https://license.softclient4es.com/'); // 'https://license.softclient4es.com/api/v1/licenses/token'
 */
export function tokenUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}${TOKEN_PATH}`;
}

/** What {@link ApiKeyClient} is made with; the timeouts default to 10 s each. */
export interface ApiKeyClientOptions extends Partial<HttpTimeouts> {
  /** Base URL of the license server, e.g. `https://license.softclient4es.com`. */
  readonly serverUrl: string;
  /**
   * An HTTP client to share; one is created (with the timeouts above) when absent.
   *
   * @internal The agent shares its own client (proxies, CA) with its refresh path; there is no public way to make one.
   */
  readonly http?: HttpClient | undefined;
  /** Now, for `Retry-After` dates. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Gets the `message` a license server may add to a `200` (the agent logs it at `info`). */
  readonly onMessage?: ((message: string) => void) | undefined;
}

/** What one {@link ApiKeyClient.fetchJwt} call sends, and what it may be cut short by. */
export interface FetchJwtOptions {
  /** The body to send; default `{}`. The agent sends instance id, version, uptime and telemetry. */
  readonly body?: TokenRequestBody | undefined;
  /** Aborts the request; it then fails with a `LicenseNetworkError`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The other credentials the caller holds (its license JWTs): cut, with the key, out of any server
   * text quoted in an error or a notice, fragments included.
   */
  readonly secrets?: readonly (string | undefined)[] | undefined;
}

/**
 * Fetches license JWTs with an API key. The token it returns is not verified yet: the caller
 * verifies it against the trusted keys before adopting it.
 *
 * @example
 * const client = new ApiKeyClient({ serverUrl: 'https://license.softclient4es.com' });
 * const jwt = await client.fetchJwt(process.env.SOFTCLIENT4ES_API_KEY!);
 */
export class ApiKeyClient {
  /** The token endpoint this client posts to: `{serverUrl}/api/v1/licenses/token`. */
  readonly url: string;
  readonly #http: HttpClient;
  readonly #now: () => number;
  readonly #onMessage: ((message: string) => void) | undefined;

  /** A client of the token endpoint of `options.serverUrl`; nothing is sent before {@link fetchJwt}. */
  constructor(options: ApiKeyClientOptions) {
    this.url = tokenUrl(options.serverUrl);
    this.#http = options.http ?? createHttpClient({
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    });
    this.#now = options.now ?? Date.now;
    this.#onMessage = options.onMessage;
  }

  /**
   * Asks the license server for the JWT this API key buys. Throws a `LicenseError` on failure, and a
   * `LicenseConfigError` naming `apiKey`, before any request, for a key that is not `sk-...`.
   *
   * @returns the JWT, not verified yet.
   */
  async fetchJwt(apiKey: string, options: FetchJwtOptions = {}): Promise<string> {
    const problem = typeof apiKey === 'string' ? apiKeyProblem(apiKey) : 'invalid API key format: not a string';
    if (problem) throw new LicenseConfigError('apiKey', problem);
    const answer = await this.#http.postJson({
      url: this.url,
      authorization: `Bearer ${apiKey}`,
      body: options.body ?? {},
      signal: options.signal,
    });
    return readJwtAnswer(answer, { allowNoContent: false, now: this.#now(), secrets: [apiKey, ...(options.secrets ?? [])], onMessage: this.#onMessage }) as string;
  }

  /** Releases the client's sockets. */
  close(): Promise<void> {
    return this.#http.close();
  }
}
