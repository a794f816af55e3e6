/**
 * The reference license server: a `node:http` issuer on loopback for tests, the demo, and as a model
 * of a vendor's backend. It records every request and lets a test replace any answer with a fault.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REFRESH_PATH, type RefreshAnswer } from './endpoints.js';
import type { RecordedRequest } from './exchange.js';
import { createRequestHandler, type FaultHandler, type IssuerContext } from './handler.js';
import { generateIssuerKeys, type IssuerKeys } from './keys.js';
import { mintLicense, type LicenseTemplate } from './mint.js';

export type { FaultHandler } from './handler.js';

/** What {@link startLicenseServer} starts with; every option has a default. */
export interface LicenseServerOptions {
  /** Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Default `0`: any free port. */
  readonly port?: number;
  /** The signing keys; generated when absent. */
  readonly keys?: IssuerKeys;
  /** API key → the license it buys at `POST /api/v1/licenses/token`. */
  readonly apiKeys?: Readonly<Record<string, LicenseTemplate>>;
  /**
   * License id (`sub`) → the template a refresh re-issues. A license with no template is re-issued
   * from its own claims with a fresh `iat` and a 30-day `exp`.
   */
  readonly licenses?: Readonly<Record<string, LicenseTemplate>>;
  /** Now in ms; drives `iat`, `exp`, expiry checks and `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
  /** Default `'reissue'`; `'unchanged'` answers valid refreshes with 204. */
  readonly refreshAnswer?: RefreshAnswer;
  /** Called with each request as it is recorded (the demo prints the bodies). */
  readonly onRequest?: (request: RecordedRequest) => void;
}

/** A running reference issuer. */
export interface LicenseServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  /** The refresh endpoint: the URL to mint into a static license's `refresh_url`. */
  readonly refreshUrl: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** Its signing keys: give `keys.jwks` to an agent as its `trustedKeys`. */
  readonly keys: IssuerKeys;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Installs (or, with `undefined`, removes) a fault handler. */
  respondWith(handler: FaultHandler | undefined): void;
  /** Makes `apiKey` buy the license `template` describes (replacing what it bought before). */
  setApiKey(apiKey: string, template: LicenseTemplate): void;
  /** Makes a refresh of license `sub` re-issue it from `template`. */
  setLicense(sub: string, template: LicenseTemplate): void;
  /** How valid refreshes are answered from now on: `reissue` (a new JWT) or `unchanged` (204). */
  setRefreshAnswer(answer: RefreshAnswer): void;
  /** Mints a license with this server's key, at `now` (ms) or the server's `now()`. */
  mint(template: LicenseTemplate, now?: number): Promise<string>;
  /** Stops listening and destroys open connections, keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // close() drops idle keep-alive sockets but waits for busy ones (a client mid-body, a stalled
    // request) until they time out; a test must never hang on them.
    server.closeAllConnections();
  });
}

function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts a reference license server and resolves once it is listening.
 *
 * @example
 * ```ts
 * const server = await startLicenseServer({ apiKeys: { 'sk-test-1': { sub: 'lic-1', tier: 'Pro' } } });
 * const jwt = await server.mint({ sub: 'lic-2', tier: 'Enterprise', refresh_url: server.refreshUrl });
 * await server.close();
 * ```
 */
export async function startLicenseServer(options: LicenseServerOptions = {}): Promise<LicenseServer> {
  const host = options.host ?? '127.0.0.1';
  const context: IssuerContext = {
    keys: options.keys ?? (await generateIssuerKeys()),
    apiKeys: new Map(Object.entries(options.apiKeys ?? {})),
    licenses: new Map(Object.entries(options.licenses ?? {})),
    refreshAnswer: options.refreshAnswer ?? 'reissue',
    now: options.now ?? Date.now,
    faultHandler: undefined,
    requests: [],
    onRequest: options.onRequest,
  };
  const server = createServer(createRequestHandler(context));
  const port = await listen(server, options.port ?? 0, host);
  const url = origin(host, port);
  // Remembered so that a second close() (a test's own, then its afterEach) resolves too.
  let closing: Promise<void> | undefined;

  return {
    url,
    refreshUrl: url + REFRESH_PATH,
    port,
    keys: context.keys,
    requests: context.requests,
    respondWith: (handler) => void (context.faultHandler = handler),
    setApiKey: (apiKey, template) => void context.apiKeys.set(apiKey, template),
    setLicense: (sub, template) => void context.licenses.set(sub, template),
    setRefreshAnswer: (answer) => void (context.refreshAnswer = answer),
    mint: (template, at) => mintLicense(context.keys, template, { now: at ?? context.now() }),
    close: () => (closing ??= closeServer(server)),
  };
}
