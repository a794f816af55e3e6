/**
 * Requests through a proxy. undici's `ProxyAgent` opens a tunnel with `CONNECT` (for https and
 * plain http targets alike, as `proxyTunnel` is on by default) on a pool of its own, the one its
 * `clientFactory` makes. That pool is ours here, for three reasons:
 *  - its connection to the proxy goes through the caller's connector, so the agent's connect
 *    timeout applies and `close()` can cut a socket that hangs;
 *  - a `CONNECT` must be answered within the connect timeout: undici would wait 300 s;
 *  - every failure before the tunnel opens becomes a {@link ProxyTunnelError} naming the proxy,
 *    the target and the status the proxy gave. undici reports a refusal as a bare "request
 *    aborted", a dead proxy like a dead license server, and a proxy that hangs up on `CONNECT` as
 *    a recoverable socket error, which it retries in a tight loop without end.
 */
import type { Dispatcher, buildConnector } from 'undici';
import { proxyAddress } from './proxy-for.js';

type Undici = typeof import('undici');
/** What a pool's `connect()` takes: its origin is the pool's own. */
type TunnelRequest = Omit<Dispatcher.ConnectOptions, 'origin'>;

/** The proxy failed before the tunnel opened: it is down, silent, or answered `CONNECT` with `status`. */
export class ProxyTunnelError extends Error {
  readonly code = 'ERR_PROXY_TUNNEL';
  /** The proxy as `host:port`: never its URL, which may carry a user and password. */
  readonly proxy: string;
  /** What the tunnel was asked for, `host:port`. */
  readonly target: string;
  /** The status the proxy answered `CONNECT` with; `undefined` when it did not answer. */
  readonly status: number | undefined;
  /** Whether the proxy URL carried credentials (sent as `Proxy-Authorization`). */
  readonly withCredentials: boolean;

  constructor(fields: Omit<ProxyTunnelError, keyof Error | 'code'>, options?: { cause?: unknown }) {
    const outcome = fields.status === undefined ? 'failed' : `answered HTTP ${fields.status}`;
    super(`proxy ${fields.proxy}: CONNECT ${fields.target} ${outcome}`, options);
    this.name = 'ProxyTunnelError';
    this.proxy = fields.proxy;
    this.target = fields.target;
    this.status = fields.status;
    this.withCredentials = fields.withCredentials;
  }
}

/** The {@link ProxyTunnelError} in `error` or its causes, if any. */
export function proxyTunnelErrorIn(error: unknown): ProxyTunnelError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof ProxyTunnelError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ProxyDispatcherOptions {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** TLS with the license server, inside the tunnel (its `ca`, the connect timeout). */
  readonly requestTls: buildConnector.BuildOptions;
  /** Opens the connection to the proxy itself. */
  readonly proxyConnector: buildConnector.connector;
}

/** A dispatcher that sends every request through `proxy`, failing as described above. */
export function createProxyDispatcher(undici: Undici, proxy: string, options: ProxyDispatcherOptions): Dispatcher {
  const TunnelPool = tunnelPoolClass(undici, proxy);
  return new undici.ProxyAgent({
    uri: proxy,
    requestTls: options.requestTls,
    headersTimeout: options.readTimeoutMs,
    bodyTimeout: options.readTimeoutMs,
    clientFactory: (origin) =>
      new TunnelPool(origin, {
        connect: options.proxyConnector,
        headersTimeout: options.connectTimeoutMs,
        bodyTimeout: options.connectTimeoutMs,
      }),
  });
}

/**
 * Asks `proxy` for a tunnel to `target` (`host:port`) and closes it as soon as it opens, sending
 * nothing through it: `doctor`'s check of the proxy alone. Throws a {@link ProxyTunnelError}.
 */
export async function probeTunnel(undici: Undici, proxy: string, target: string, timeoutMs: number): Promise<void> {
  const TunnelPool = tunnelPoolClass(undici, proxy);
  const url = new URL(proxy);
  const pool = new TunnelPool(url.origin, { connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    const { socket } = await pool.connect({ path: target, headers: { host: target, ...proxyAuthorization(url) } });
    socket.destroy();
  } finally {
    await pool.destroy();
  }
}

/** `Proxy-Authorization` from the URL's user and password, as undici's `ProxyAgent` builds it. */
function proxyAuthorization(url: URL): Record<string, string> {
  if (!url.username || !url.password) return {};
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(pair).toString('base64')}` };
}

/** A pool to `proxy` whose `connect()` resolves only with an open tunnel. */
function tunnelPoolClass(undici: Undici, proxy: string) {
  let withCredentials = false;
  try {
    const url = new URL(proxy);
    withCredentials = url.username !== '' || url.password !== '';
  } catch {
    // undici refuses such a URL itself when it builds the agent.
  }
  const fields = { proxy: proxyAddress(proxy), withCredentials };

  return class TunnelPool extends undici.Pool {
    override connect(options: TunnelRequest): Promise<Dispatcher.ConnectData>;
    override connect(options: TunnelRequest, callback: (err: Error | null, data: Dispatcher.ConnectData) => void): void;
    override connect(
      options: TunnelRequest,
      callback?: (err: Error | null, data: Dispatcher.ConnectData) => void,
    ): Promise<Dispatcher.ConnectData> | void {
      const tunnel = openTunnel(super.connect(options), { ...fields, target: options.path });
      if (!callback) return tunnel;
      // openTunnel rejects with a ProxyTunnelError only.
      tunnel.then((data) => callback(null, data), (error: unknown) => callback(error as Error, undefined as never));
    }
  };
}

async function openTunnel(
  answer: Promise<Dispatcher.ConnectData>,
  fields: Omit<ProxyTunnelError, keyof Error | 'code' | 'status'>,
): Promise<Dispatcher.ConnectData> {
  let data: Dispatcher.ConnectData;
  try {
    data = await answer;
  } catch (error) {
    throw new ProxyTunnelError({ ...fields, status: undefined }, { cause: error });
  }
  if (data.statusCode === 200) return data;
  data.socket.on('error', () => undefined).destroy();
  throw new ProxyTunnelError({ ...fields, status: data.statusCode });
}
