/**
 * Everything a refresh needs and a server on a valid cached license does not at start-up: the fetch
 * effect, peer coordination, the HTTP client and the API-key client. They are loaded with the first
 * refresh, and each fetch is tracked until it settles, so that `stop()` can wait for its lock to be
 * released and its ledger line written.
 */
import type { Logger } from 'pino';
import type { FetchInput } from '../../machines/context.js';
import type { FetchLicense } from './create-effects.js';
import type { AgentConfig } from '../config/options.js';
import type { BodyFacts } from '../telemetry/body.js';
import type { LicenseVerifier } from '../license/verify.js';
import { ApiKeyClient } from '../net/api-key-client.js';
import { createHttpClient, type AnswerFacts, type HttpClient } from '../net/http.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';
import type { LicenseCache } from '../state/license-cache.js';
import type { SentLedger } from '../state/sent-ledger.js';
import { destinationHost } from '../state/sent-ledger.js';
import { isoInstant } from '../instant.js';

/** The agent's files a refresh reads and writes (none when the state directory is unusable). */
export interface StateFiles {
  readonly stateDir: string | undefined;
  readonly cache: LicenseCache | undefined;
  /** The ledger of every body sent. */
  readonly ledger: SentLedger | undefined;
  /** The SHA-256 of the API key, stored with the cache so a changed key is noticed. */
  readonly keyFingerprint: string | null;
}

export interface RefreshPathDeps {
  readonly config: AgentConfig;
  readonly files: StateFiles;
  readonly verify: LicenseVerifier;
  readonly log: Logger;
  readonly now: () => number;
  readonly bodyFacts: () => BodyFacts;
  /** Told of every answer's facts (its `Date` header for the clock check). */
  readonly onAnswer: (facts: AnswerFacts) => void;
  /** The license server's clock, when known: received tokens are judged by it. */
  readonly issuerNow: () => number | undefined;
}

export class RefreshPath {
  readonly #deps: RefreshPathDeps;
  readonly #inFlight = new Set<Promise<unknown>>();
  #fetch: Promise<FetchLicense> | undefined;
  #http: HttpClient | undefined;
  #apiKeyClient: ApiKeyClient | undefined;
  #coordinator: RefreshCoordinator | undefined;

  constructor(deps: RefreshPathDeps) {
    this.#deps = deps;
  }

  /** Peer coordination, once loaded; the persist effect releases its lock. */
  get coordinator(): RefreshCoordinator | undefined {
    return this.#coordinator;
  }

  /** The `fetchLicense` effect: loads the path on first use, then fetches. */
  fetchLicense(input: FetchInput, signal: AbortSignal): ReturnType<FetchLicense> {
    const work = this.#load().then((fetch) => {
      // stop() may have come while the module loaded: then no request may start.
      signal.throwIfAborted();
      return fetch(input, signal);
    });
    const settled = work.catch(() => undefined);
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return work;
  }

  /**
   * After the statechart's stop aborted any request: closing the dispatcher also cuts one still
   * connecting (undici finishes a connect before it honours the abort); then every fetch settles.
   */
  async close(): Promise<void> {
    await this.#http?.close();
    await Promise.all(this.#inFlight);
  }

  #load(): Promise<FetchLicense> {
    this.#fetch ??= Promise.all([import('./fetch-license.js'), import('./refresh-coordinator.js')]).then(
      ([{ createFetchLicense }, { RefreshCoordinator }]) => {
        const { config, files, verify, log, now } = this.#deps;
        this.#coordinator = files.stateDir && files.cache
          ? new RefreshCoordinator({
              dir: files.stateDir,
              cache: files.cache,
              verify,
              keyFingerprint: files.keyFingerprint,
              log,
              lockTtlMs: config.connectTimeoutMs + config.readTimeoutMs + 5_000,
              now,
            })
          : undefined;
        return createFetchLicense({
          config,
          verify,
          now,
          apiKeyClient: () => this.#getApiKeyClient(),
          http: () => this.#getHttp(),
          bodyFacts: this.#deps.bodyFacts,
          coordinator: this.#coordinator,
          issuerNow: this.#deps.issuerNow,
          recordSent: ({ endpoint, url, body, status }) => {
            void files.ledger?.append({ at: isoInstant(now()) ?? '', host: destinationHost(url), endpoint, status, body });
          },
        });
      },
    );
    // A failed load (a damaged install) fails this refresh, not every later one.
    this.#fetch.catch(() => (this.#fetch = undefined));
    return this.#fetch;
  }

  #getHttp(): HttpClient {
    this.#http ??= createHttpClient({ ...this.#deps.config, now: this.#deps.now, onAnswer: this.#deps.onAnswer });
    return this.#http;
  }

  #getApiKeyClient(): ApiKeyClient {
    this.#apiKeyClient ??= new ApiKeyClient({
      serverUrl: this.#deps.config.serverUrl,
      http: this.#getHttp(),
      now: this.#deps.now,
      onMessage: (message) => this.#deps.log.info({ serverMessage: message }, `license server: ${message}`),
    });
    return this.#apiKeyClient;
  }
}
