/**
 * The one HTTP call the agent makes: a JSON `POST` with an `Authorization` header, through a
 * dispatcher of the agent's own (never a global one) that honours the proxy settings, with connect
 * and read timeouts, redirects left unfollowed, and the answer's body capped while it is read. Every failure is reduced to a
 * `LicenseNetworkError` naming its cause, and the proxy when the fault is the proxy's; the header
 * and the proxy's credentials never appear in an error or a log.
 *
 * undici is imported lazily: an agent that never touches the network (static JWT without
 * `refresh_url`, Community) does not pay for loading it at start-up.
 */
import type { Socket } from 'node:net';
import type { Dispatcher, buildConnector } from 'undici';
import { LicenseNetworkError } from '../errors.js';
import { proxyAddress, proxyFor, type ProxySettings } from './proxy-for.js';
import { createProxyDispatcher, proxyTunnelErrorIn, type ProxyTunnelError } from './proxy-tunnel.js';

/** Largest response body accepted; a license answer is a few hundred bytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** How long a request may take, in milliseconds. */
export interface HttpTimeouts {
  /** To connect to the license server (or the proxy), TLS included. */
  readonly connectTimeoutMs: number;
  /** To wait for the answer's headers, and for each chunk of its body. */
  readonly readTimeoutMs: number;
}

/** What every answer tells about the exchange, whatever its status: for the clock-offset check. */
export interface AnswerFacts {
  readonly url: string;
  readonly status: number;
  /** The server's `Date` header, if any. */
  readonly date: string | undefined;
  /** Our clock when the request left and when the answer's headers came back. */
  readonly sentAt: number;
  readonly receivedAt: number;
}

export interface HttpClientOptions extends HttpTimeouts {
  /** Proxies for `http:` and `https:` targets (empty: none) and the hosts that bypass them. */
  readonly proxies?: ProxySettings | undefined;
  /** Certificate authorities to trust instead of Node's bundle (a private license server). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** The clock that dates each exchange. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Called with the facts of each answer received. */
  readonly onAnswer?: ((facts: AnswerFacts) => void) | undefined;
}

export interface JsonPostRequest {
  readonly url: string;
  readonly authorization: string;
  readonly body: unknown;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** A small HTTP client bound to one dispatcher; `close()` releases its sockets. */
export interface HttpClient {
  postJson(request: JsonPostRequest): Promise<HttpAnswer>;
  close(): Promise<void>;
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'read timeout (no answer)',
  UND_ERR_BODY_TIMEOUT: 'read timeout (body too slow)',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_ABORTED: 'request aborted',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: `response body over ${MAX_RESPONSE_BYTES} bytes`,
  ABORT_ERR: 'request aborted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: self-signed certificate in chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: certificate not trusted',
  CERT_HAS_EXPIRED: 'TLS: certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: certificate does not match the host',
};

/** The most specific error code in an error and its causes (undici nests system errors). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  let found: string | undefined;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') found = code;
    if ((current as { name?: unknown }).name === 'AbortError') found = found ?? 'ABORT_ERR';
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/**
 * Reduces any failure of the exchange to a secret-free `LicenseNetworkError`. `proxy` is the proxy
 * the request went through, if any: a fault of the proxy is named as the proxy's, and any other
 * fault says which proxy it came through (a TLS failure there may be the proxy's interception).
 */
export function toNetworkError(error: unknown, url: string, proxy?: string): LicenseNetworkError {
  const tunnel = proxyTunnelErrorIn(error);
  if (tunnel) return new LicenseNetworkError(describeProxyFailure(tunnel), { cause: error });
  const code = errorCode(error);
  const cause = (code && CAUSES[code]) ?? code ?? 'request failed';
  // The server did answer when its body was too large: say so, not "unreachable".
  const what = code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'answered with a' : 'unreachable:';
  const through = proxy === undefined ? '' : ` (through proxy ${proxyAddress(proxy)})`;
  return new LicenseNetworkError(`license server ${new URL(url).origin} ${what} ${cause}${through}`, { cause: error });
}

/**
 * What went wrong with the proxy, in an operator's words: its `host:port`, the tunnel asked for,
 * and the status it answered with, if it answered.
 *
 * @example
 * ```ts
 * describeProxyFailure(error); // 'proxy 10.0.0.5:3128 refused the tunnel to license.example.com:443 with HTTP 403'
 * ```
 */
export function describeProxyFailure(error: ProxyTunnelError): string {
  const { proxy, target, status } = error;
  if (status === 407) {
    return error.withCredentials
      ? `proxy ${proxy} refused the credentials of its URL (HTTP 407)`
      : `proxy ${proxy} asks for authentication (HTTP 407): give them in the proxy URL (http://user:password@host:port)`;
  }
  if (status !== undefined && status >= 500) return `proxy ${proxy} could not open the tunnel to ${target} (HTTP ${status})`;
  if (status !== undefined) return `proxy ${proxy} refused the tunnel to ${target} with HTTP ${status}`;
  const code = errorCode(error.cause);
  // The connection to the proxy was made: it then let the CONNECT go unanswered, or hung up on it.
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `proxy ${proxy} did not answer: connect timeout (CONNECT ${target})`;
  if (code === 'UND_ERR_SOCKET') return `proxy ${proxy} closed the connection without answering CONNECT ${target}`;
  return `proxy ${proxy} unreachable: ${(code && CAUSES[code]) ?? code ?? 'connection failed'}`;
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number, truncate = false): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      // Stop reading at once: a hostile or broken server must not make us buffer without bound.
      body.destroy();
      // A refusal's status is what matters; its page only lends a message, so its start will do.
      if (truncate) return Buffer.concat(chunks).toString('utf8');
      const error = new Error('response body too large') as Error & { code: string };
      error.code = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
      throw error;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A client's dispatchers: direct, or through the proxy that applies to the URL. */
interface Dispatchers {
  readonly request: typeof import('undici').request;
  dispatcherFor(url: string): Dispatcher;
  all(): Dispatcher[];
}

type Tracker = (base: buildConnector.connector) => buildConnector.connector;

/** The direct dispatcher, and one per proxy URL (at most two: http and https) made on first use. */
function createDispatchers(undici: typeof import('undici'), options: HttpClientOptions, proxies: ProxySettings, tracked: Tracker): Dispatchers {
  const tls = options.ca === undefined ? {} : { ca: options.ca as string[] };
  const direct = new undici.Agent({
    connect: tracked(undici.buildConnector({ timeout: options.connectTimeoutMs, ...tls })),
    headersTimeout: options.readTimeoutMs,
    bodyTimeout: options.readTimeoutMs,
  });
  const viaProxy = new Map<string, Dispatcher>();
  // The proxy's own TLS, if it speaks https, trusts Node's bundle: `ca` is the license server's.
  const proxyConnector = tracked(undici.buildConnector({ timeout: options.connectTimeoutMs }));
  const requestTls = { timeout: options.connectTimeoutMs, ...tls };
  return {
    request: undici.request,
    dispatcherFor(url) {
      const proxy = proxyFor(url, proxies);
      if (proxy === undefined) return direct;
      let dispatcher = viaProxy.get(proxy);
      if (!dispatcher) {
        dispatcher = createProxyDispatcher(undici, proxy, { ...options, requestTls, proxyConnector });
        viaProxy.set(proxy, dispatcher);
      }
      return dispatcher;
    },
    all: () => [direct, ...viaProxy.values()],
  };
}

/**
 * A connector wrapper that keeps every socket it opens until that socket closes. undici's destroy()
 * leaves a socket that is still connecting (a TLS handshake that hangs, a proxy that never answers)
 * until its connect timeout: with every socket tracked, close() can cut them all.
 */
function createSocketTracker(): { readonly tracked: Tracker; destroyAll(): void } {
  const sockets = new Set<Socket>();
  return {
    tracked: (base) => (options, callback) => {
      // undici types a connector as returning nothing; its built-in one returns the socket it opens.
      const socket = (base as unknown as (o: typeof options, c: typeof callback) => Socket)(options, callback);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Creates a client with its own undici dispatchers and the given timeouts. */
export function createHttpClient(timeouts: HttpClientOptions): HttpClient {
  const now = timeouts.now ?? Date.now;
  const proxies = timeouts.proxies ?? { http: '', https: '', noProxy: '' };
  let loaded: Promise<Dispatchers> | undefined;
  const sockets = createSocketTracker();
  const load = () => (loaded ??= import('undici').then((undici) => createDispatchers(undici, timeouts, proxies, sockets.tracked)));

  return {
    async postJson({ url, authorization, body, signal }) {
      try {
        const { request, dispatcherFor } = await load();
        const sentAt = now();
        const response = await request(url, {
          method: 'POST',
          dispatcher: dispatcherFor(url),
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
        const date = response.headers['date'];
        timeouts.onAnswer?.({ url, status: response.statusCode, date: Array.isArray(date) ? date[0] : date, sentAt, receivedAt: now() });
        const text = await readCapped(response.body, MAX_RESPONSE_BYTES, response.statusCode !== 200);
        return { status: response.statusCode, headers: response.headers, text };
      } catch (error) {
        throw toNetworkError(error, url, proxyOf(url, proxies));
      }
    },
    async close() {
      if (!loaded) return;
      const { all } = await loaded;
      sockets.destroyAll();
      await Promise.all(all().map((dispatcher) => dispatcher.destroy()));
    },
  };
}

/** The proxy of `url`, or `undefined` when it goes direct or is not a URL (that error says so). */
function proxyOf(url: string, proxies: ProxySettings): string | undefined {
  return URL.canParse(url) ? proxyFor(url, proxies) : undefined;
}
