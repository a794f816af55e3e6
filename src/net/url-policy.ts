/**
 * Which endpoints the agent may talk to: `https` anywhere, plain `http` only to a loopback host
 * (for development and tests). A license refresh carries a bearer token; it must never cross a
 * network in clear text.
 */

const LOOPBACK_NAMES = new Set(['localhost', '[::1]', '::1']);

/** True for `localhost`, `::1` and any address in 127.0.0.0/8. */
export function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname.toLowerCase())) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Why `value` is not an acceptable endpoint URL, or `undefined` when it is. */
export function endpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? undefined : 'must use https (plain http is allowed only to a loopback host)';
  }
  return 'must use https';
}
