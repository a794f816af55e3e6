/**
 * `doctor`'s network checks against the license server: DNS, the TLS handshake, and the clock
 * offset read from the server's `Date` header. None sends a license, an API key or telemetry: the
 * handshake closes once done, and the only request is a bare `HEAD /` to the server's origin.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { CLOCK_TOLERANCE_SECONDS } from '../license/verify.js';
import { errorCode } from '../net/http.js';
import { isLoopbackHost } from '../net/url-policy.js';
import type { DoctorCheck } from './doctor.js';

/**
 * The addresses `host` resolves to, through the system resolver the agent uses too.
 *
 * @example
 * ```ts
 * await checkDns('localhost'); // { name: 'dns', ok: true, detail: 'localhost resolves to 127.0.0.1, ::1' }
 * ```
 */
export async function checkDns(host: string): Promise<DoctorCheck> {
  const name = 'dns';
  try {
    const addresses = await lookup(host, { all: true });
    if (addresses.length === 0) return { name, ok: false, detail: `${host} resolves to no address` };
    return { name, ok: true, detail: `${host} resolves to ${addresses.map((each) => each.address).join(', ')}` };
  } catch (error) {
    return { name, ok: false, detail: `cannot resolve ${host} (${errorCode(error) ?? 'UNKNOWN'})` };
  }
}

const TLS_CAUSES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer not trusted',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
};

/**
 * A TLS handshake with the host of `url`, verified against the system CAs (or `ca`): reports the
 * protocol and the certificate's subject, issuer and expiry, then closes without sending anything.
 * Plain `http` is accepted for a loopback host only, as the agent does.
 *
 * @example
 * ```ts
 * await checkTls('https://license.example.com', { timeoutMs: 5000 });
 * // { name: 'tls', ok: true, detail: 'TLSv1.3 with license.example.com:443; subject CN=..., issuer CN=..., valid to ...' }
 * ```
 */
export async function checkTls(url: string, options: { timeoutMs: number; ca?: string | Buffer }): Promise<DoctorCheck> {
  const name = 'tls';
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { name, ok: false, detail: `${url} is not a URL` };
  }
  if (target.protocol === 'http:') {
    return isLoopbackHost(target.hostname)
      ? { name, ok: true, detail: 'plain http to a loopback host: no TLS' }
      : { name, ok: false, detail: `plain http to ${target.host} is refused: the license server must use https` };
  }
  if (target.protocol !== 'https:') return { name, ok: false, detail: `${target.protocol} is not https` };
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port) || 443;
  try {
    return { name, ok: true, detail: await handshake(host, port, options) };
  } catch (error) {
    const code = errorCode(error);
    const cause = (code && TLS_CAUSES[code]) ?? (error as Error).message;
    return { name, ok: false, detail: `TLS handshake with ${host}:${port} failed: ${cause}${code ? ` (${code})` : ''}` };
  }
}

function handshake(host: string, port: number, options: { timeoutMs: number; ca?: string | Buffer }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      // SNI must be a name; Node refuses an IP address there.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no handshake within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      socket.destroy(error);
    }, options.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const certificate = socket.getPeerCertificate();
      const detail =
        `${socket.getProtocol() ?? 'TLS'} with ${host}:${port}; subject ${distinguishedName(certificate.subject)}, ` +
        `issuer ${distinguishedName(certificate.issuer)}, valid to ${certificate.valid_to}`;
      socket.end();
      resolve(detail);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return '(none)';
  const parts = Object.entries(name).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`);
  return parts.length > 0 ? parts.join(', ') : '(empty)';
}

/**
 * The offset of our clock from the server's: one bare `HEAD` to the origin of `url` (no
 * Authorization header, no body), its `Date` header compared with the midpoint of the request.
 * Ok within the tolerance the agent allows when it verifies a JWT (±5 minutes).
 *
 * @example
 * ```ts
 * await checkClockOffset('https://license.example.com/api/v1/licenses/token', Date.now, { timeoutMs: 5000 });
 * // { name: 'clock', ok: true, detail: 'clock offset -1 s against https://license.example.com (tolerance ±300 s)' }
 * ```
 */
export async function checkClockOffset(
  url: string,
  now: () => number,
  options: { timeoutMs: number; ca?: string | Buffer },
): Promise<DoctorCheck> {
  const name = 'clock';
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return { name, ok: false, detail: `${url} is not a URL` };
  }
  try {
    const { date, midpoint } = await serverDate(origin, now, options);
    if (date === undefined) return { name, ok: false, detail: `server sent no Date header (${origin})` };
    const serverTime = Date.parse(date);
    if (Number.isNaN(serverTime)) return { name, ok: false, detail: `server sent an unreadable Date header: ${date}` };
    const offsetSeconds = Math.round((serverTime - midpoint) / 1000);
    const ok = Math.abs(offsetSeconds) <= CLOCK_TOLERANCE_SECONDS;
    const direction = offsetSeconds === 0 ? '' : offsetSeconds > 0 ? ', server ahead' : ', server behind';
    const signed = offsetSeconds > 0 ? `+${offsetSeconds}` : `${offsetSeconds}`;
    return {
      name,
      ok,
      detail: `clock offset ${signed} s against ${origin}${direction} (tolerance ±${CLOCK_TOLERANCE_SECONDS} s)`,
    };
  } catch (error) {
    return { name, ok: false, detail: `cannot reach ${origin} (${errorCode(error) ?? (error as Error).message})` };
  }
}

async function serverDate(
  origin: string,
  now: () => number,
  options: { timeoutMs: number; ca?: string | Buffer },
): Promise<{ date: string | undefined; midpoint: number }> {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({
    connect: { timeout: options.timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  try {
    const started = now();
    const response = await request(`${origin}/`, { method: 'HEAD', dispatcher });
    const ended = now();
    await response.body.dump();
    const header = response.headers['date'];
    return { date: Array.isArray(header) ? header[0] : header, midpoint: (started + ended) / 2 };
  } finally {
    await dispatcher.destroy();
  }
}
