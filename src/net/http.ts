/**
 * The one HTTP call the agent makes: a JSON `POST` with an `Authorization` header, through a
 * dispatcher of the agent's own (never a global one) that honours the proxy settings, with connect
 * and read timeouts, redirects left unfollowed, and the answer's body capped while it is read. Every failure is reduced to a
 * `LicenseNetworkError` naming its cause; the header never appears in an error or a log.
 *
 * undici is imported lazily: an agent that never touches the network (static JWT without
 * `refresh_url`, Community) does not pay for loading it at start-up.
 */
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { LicenseNetworkError } from '../errors.js';

/** Largest response body accepted; a license answer is a few hundred bytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpTimeouts {
  readonly connectTimeoutMs: number;
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
  readonly proxies?: { readonly http: string; readonly https: string; readonly noProxy: string } | undefined;
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

/** Reduces any failure of the exchange to a secret-free `LicenseNetworkError`. */
export function toNetworkError(error: unknown, url: string): LicenseNetworkError {
  const code = errorCode(error);
  const cause = (code && CAUSES[code]) ?? code ?? 'request failed';
  // The server did answer when its body was too large: say so, not "unreachable".
  const what = code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'answered with a' : 'unreachable:';
  return new LicenseNetworkError(`license server ${new URL(url).origin} ${what} ${cause}`, { cause: error });
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

/** Creates a client with its own undici dispatcher and the given timeouts. */
export function createHttpClient(timeouts: HttpClientOptions): HttpClient {
  const now = timeouts.now ?? Date.now;
  let dispatcher: Promise<{ request: typeof import('undici').request; agent: Dispatcher }> | undefined;
  const sockets = new Set<Socket>();

  function load() {
    dispatcher ??= import('undici').then(({ EnvHttpProxyAgent, buildConnector, request }) => {
      const tls = timeouts.ca === undefined ? {} : { ca: timeouts.ca as string[] };
      // undici's destroy() leaves a socket that is still connecting (a TLS handshake that hangs)
      // until its connect timeout: track every socket so that close() can cut them all.
      const base = buildConnector({ timeout: timeouts.connectTimeoutMs, ...tls });
      const connect: typeof base = (options, callback) => {
        const socket = (base as unknown as (o: typeof options, c: typeof callback) => Socket)(options, callback);
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      };
      const proxies = timeouts.proxies ?? { http: '', https: '', noProxy: '' };
      return {
        request,
        // Empty strings, not undefined: undici would otherwise read process.env behind our back.
        agent: new EnvHttpProxyAgent({
          httpProxy: proxies.http,
          httpsProxy: proxies.https,
          noProxy: proxies.noProxy,
          connect,
          requestTls: { timeout: timeouts.connectTimeoutMs, ...tls },
          headersTimeout: timeouts.readTimeoutMs,
          bodyTimeout: timeouts.readTimeoutMs,
        }),
      };
    });
    return dispatcher;
  }

  return {
    async postJson({ url, authorization, body, signal }) {
      try {
        const { request, agent } = await load();
        const sentAt = now();
        const response = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
        const date = response.headers['date'];
        timeouts.onAnswer?.({ url, status: response.statusCode, date: Array.isArray(date) ? date[0] : date, sentAt, receivedAt: now() });
        const text = await readCapped(response.body, MAX_RESPONSE_BYTES, response.statusCode !== 200);
        return { status: response.statusCode, headers: response.headers, text };
      } catch (error) {
        throw toNetworkError(error, url);
      }
    },
    async close() {
      if (!dispatcher) return;
      const { agent } = await dispatcher;
      for (const socket of sockets) socket.destroy();
      await agent.destroy();
    },
  };
}
