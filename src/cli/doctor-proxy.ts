/**
 * `doctor`'s proxy checks: which proxy variables apply to the license host (by the very rule the
 * agent routes by), and whether that proxy is reachable and opens a tunnel to the license host.
 * They tell an operator which machine is at fault: the proxy, or the license server behind it.
 */
import { describeError } from '../errors.js';
import { describeProxyFailure } from '../net/http.js';
import { proxyAddress, routeFor, withoutCredentials } from '../net/proxy-for.js';
import { probeTunnel, proxyTunnelErrorIn } from '../net/proxy-tunnel.js';
import type { DoctorCheck } from './doctor.js';

/**
 * Which proxy variables apply to `targetUrl`, read the way undici's `EnvHttpProxyAgent` reads them:
 * lowercase before uppercase, `https_proxy` then `http_proxy` for an https target, and `no_proxy`
 * entries matching the host or a parent domain (with an optional port), `*` alone matching all.
 * Proxy credentials are never shown. Always ok: it reports, it does not judge.
 *
 * @example
 * ```ts
 * describeProxy({ HTTPS_PROXY: 'http://u:p@proxy:3128' }, 'https://license.example.com');
 * // { name: 'proxy', ok: true, detail: 'via http://proxy:3128 (from HTTPS_PROXY, credentials hidden)' }
 * ```
 */
export function describeProxy(env: Readonly<Record<string, string | undefined>>, targetUrl: string): DoctorCheck {
  const name = 'proxy';
  if (!URL.canParse(targetUrl)) return { name, ok: true, detail: `cannot tell: ${targetUrl} is not a URL` };
  const url = new URL(targetUrl);
  const variables = {
    http: pick(env, 'http_proxy', 'HTTP_PROXY'),
    https: pick(env, 'https_proxy', 'HTTPS_PROXY'),
    noProxy: pick(env, 'no_proxy', 'NO_PROXY'),
  };
  const route = routeFor(url, {
    http: variables.http?.value ?? '',
    https: variables.https?.value ?? '',
    noProxy: variables.noProxy?.value ?? '',
  });
  if (route.kind === 'direct') {
    const none = url.protocol === 'https:' ? 'https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY' : 'http_proxy, HTTP_PROXY';
    return { name, ok: true, detail: `direct connection to ${url.host} (none of ${none} is set)` };
  }
  const chosen = variables[route.setting]?.name;
  if (route.kind === 'bypass') {
    const entry = `${variables.noProxy?.name} entry '${route.entry}'`;
    return { name, ok: true, detail: `direct connection to ${url.host}: ${entry} matches it (${chosen} is not used)` };
  }
  const hidden = withoutCredentials(route.proxy);
  const note = hidden === route.proxy ? '' : ', credentials hidden';
  return { name, ok: true, detail: `${url.host} via ${hidden} (from ${chosen}${note})` };
}

/** The first of `names` that is set (an empty value counts as set, as with undici's `??`). */
function pick(
  env: Readonly<Record<string, string | undefined>>,
  ...names: string[]
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) return value === '' ? undefined : { name, value };
  }
  return undefined;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * Whether `proxy` is reachable and opens a tunnel (`CONNECT`) to the host of `targetUrl`, as the
 * agent's refreshes need: the tunnel is closed as soon as it opens, with nothing sent through it.
 * The failure reads as the agent's would (`proxy 10.0.0.5:3128 refused the tunnel to ... with HTTP 403`).
 *
 * @example
 * ```ts
 * await checkProxyTunnel('https://license.example.com/api/v1/licenses/token', 'http://proxy:3128', { timeoutMs: 5000 });
 * // { name: 'proxy tunnel', ok: true, detail: 'proxy proxy:3128 opens a tunnel to license.example.com:443 (CONNECT answered 200)' }
 * ```
 */
export async function checkProxyTunnel(targetUrl: string, proxy: string, options: { timeoutMs: number }): Promise<DoctorCheck> {
  const name = 'proxy tunnel';
  const address = proxyAddress(proxy);
  if (!URL.canParse(targetUrl)) return { name, ok: false, detail: `${targetUrl} is not a URL` };
  const url = new URL(targetUrl);
  // As undici asks for it: the host (IPv6 in brackets) and the port, defaulted by scheme.
  const target = `${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol] || 443}`;
  try {
    await probeTunnel(await import('undici'), proxy, target, options.timeoutMs);
    return { name, ok: true, detail: `proxy ${address} opens a tunnel to ${target} (CONNECT answered 200)` };
  } catch (error) {
    const tunnel = proxyTunnelErrorIn(error);
    // Anything else is a proxy URL undici cannot use; its message holds no part of the URL.
    return { name, ok: false, detail: tunnel ? describeProxyFailure(tunnel) : `proxy ${address}: ${describeError(error)}` };
  }
}
