/**
 * Which endpoints the agent may talk to: `https` anywhere, plain `http` only to a loopback host
 * (for development and tests). A license refresh carries a bearer token; it must never cross a
 * network in clear text, nor go where the operator did not agree to send it (a license's
 * `refresh_url` must be on a trusted origin, and never on a link-local or metadata address).
 */
import { BlockList, isIP } from 'node:net';

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

/**
 * Link-local and cloud-metadata addresses (169.254.0.0/16, which holds 169.254.169.254, fe80::/10,
 * AWS's fd00:ec2::254, and 169.254/16 written as IPv4-mapped IPv6): never a license server. A bearer
 * token sent there is a credential handed to whatever answers on the host's own network link.
 */
const LINK_LOCAL = (() => {
  const list = new BlockList();
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('fe80::', 10, 'ipv6');
  list.addAddress('fd00:ec2::254', 'ipv6');
  list.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');
  return list;
})();

/** True for an address in {@link LINK_LOCAL}; `hostname` as a URL gives it (IPv6 in brackets). */
export function isLinkLocalHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 0) return false;
  return LINK_LOCAL.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a license's `refresh_url` may not be called, or `undefined` when it may: it must be an
 * acceptable endpoint, not a link-local or metadata address, and, when `trustedOrigins` is given,
 * on one of those origins (the `refreshOrigins` option): a signed token is the vendor's word, but
 * the operator decides where the server's license may be sent.
 */
export function refreshUrlProblem(value: string, trustedOrigins: readonly string[] | undefined): string | undefined {
  const problem = endpointProblem(value);
  if (problem) return problem;
  const url = new URL(value);
  if (isLinkLocalHost(url.hostname)) return `names ${url.origin}, a link-local or cloud-metadata address, which is never trusted`;
  if (trustedOrigins === undefined || trustedOrigins.includes(url.origin)) return undefined;
  return `names the origin ${url.origin}, which is not a trusted refresh origin (trusted: ${trustedOrigins.join(', ')}; add it to refreshOrigins)`;
}
