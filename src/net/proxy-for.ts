/**
 * Which proxy, if any, a request to a URL goes through: the one rule shared by the HTTP client
 * (which routes by it) and `doctor` (which reports it). It is undici's `EnvHttpProxyAgent` rule:
 * an https target takes the https proxy (the http one when unset), a plain http target the http
 * proxy, and a `NO_PROXY` entry matching the host or a parent domain (with an optional port), or
 * `*` alone, sends the request direct.
 */

/** The proxies in force (empty: none) and the hosts that bypass them, as `AgentConfig.proxies`. */
export interface ProxySettings {
  readonly http: string;
  readonly https: string;
  readonly noProxy: string;
}

/** How a request to a URL leaves the machine. */
export type ProxyRoute =
  | { readonly kind: 'direct' }
  | { readonly kind: 'bypass'; readonly entry: string; readonly setting: 'http' | 'https' }
  | { readonly kind: 'proxy'; readonly proxy: string; readonly setting: 'http' | 'https' };

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * The route of a request to `target` under `proxies`: direct (no proxy set for its scheme),
 * bypassed by a `NO_PROXY` entry, or through a proxy; `setting` names the proxy that applies (or
 * would, but for the entry).
 *
 * @example
 * ```ts
 * routeFor(new URL('https://license.example.com'), { http: '', https: 'http://proxy:3128', noProxy: '' });
 * // { kind: 'proxy', proxy: 'http://proxy:3128', setting: 'https' }
 * ```
 */
export function routeFor(target: URL, proxies: ProxySettings): ProxyRoute {
  const https = target.protocol === 'https:';
  const setting = https && proxies.https ? 'https' : 'http';
  const proxy = setting === 'https' ? proxies.https : proxies.http;
  if (!proxy) return { kind: 'direct' };
  // Same normalisation as undici: brackets of an IPv6 address kept, port defaulted by scheme.
  const hostname = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  const entry = noProxyEntryFor(proxies.noProxy, hostname, port);
  return entry === undefined ? { kind: 'proxy', proxy, setting } : { kind: 'bypass', entry, setting };
}

/**
 * The proxy URL a request to `target` goes through, or `undefined` for a direct connection.
 *
 * @example
 * ```ts
 * proxyFor('https://license.example.com', { http: 'http://p:3128', https: '', noProxy: '.example.com' }); // undefined
 * ```
 */
export function proxyFor(target: string | URL, proxies: ProxySettings): string | undefined {
  const route = routeFor(typeof target === 'string' ? new URL(target) : target, proxies);
  return route.kind === 'proxy' ? route.proxy : undefined;
}

/** The `NO_PROXY` entry that exempts `hostname:port`, or `undefined`. */
function noProxyEntryFor(noProxy: string, hostname: string, port: number): string | undefined {
  if (noProxy === '*') return '*';
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const entryHost = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
    if (entryPort && entryPort !== port) continue;
    if (hostname === entryHost || hostname.endsWith(`.${entryHost}`)) return entry;
  }
  return undefined;
}

/**
 * The `host:port` of a proxy URL, the port defaulted by scheme: how errors and `doctor` name a
 * proxy, since its URL may carry a user and password.
 *
 * @example
 * ```ts
 * proxyAddress('http://alice:s3cret@proxy.corp:3128'); // 'proxy.corp:3128'
 * ```
 */
export function proxyAddress(proxy: string): string {
  const url = URL.canParse(proxy) ? new URL(proxy) : undefined;
  // A value without a scheme ("proxy:3128") parses with an empty host: show it as given, bare.
  if (!url?.hostname) return withoutCredentials(proxy);
  return `${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol] || 80}`;
}

/** `value` with any `user:pass@` removed; up to the last `@`, since a password may hold one. */
export function withoutCredentials(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  return at === -1 ? value : `${scheme}${rest.slice(at + 1)}`;
}
