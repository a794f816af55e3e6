/**
 * `doctor`'s proxy check: which proxy variables apply to the license host, by the very rule the
 * agent routes by.
 */
import { routeFor, withoutCredentials } from '../net/proxy-for.js';
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
