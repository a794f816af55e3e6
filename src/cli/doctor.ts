/**
 * The preflight checks behind `softclient4es-license doctor`: state directory, instance id, proxy
 * variables and tunnel (in `doctor-proxy.ts`), DNS, TLS handshake, clock offset and trusted keys.
 * Each check is a plain function that returns a {@link DoctorCheck} and never throws. None of them
 * sends a license, an API key or telemetry: the only requests are a bare `HEAD /` to the server's
 * origin, for its `Date` header, and a `CONNECT` to the proxy, if one applies, closed once answered.
 */
import { lookup } from 'node:dns/promises';
import { readFile, realpath, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { CLOCK_TOLERANCE_SECONDS } from '../license/verify.js';
import { errorCode } from '../net/http.js';
import { isLoopbackHost } from '../net/url-policy.js';
import { tempPathFor, writeNewFileDurably } from '../state/atomic-file.js';
import { errnoCode } from '../state/errno.js';
import { loadInstanceId } from '../state/instance-id.js';
import { ensureStateDir } from '../state/state-dir.js';

export { checkProxyTunnel, describeProxy } from './doctor-proxy.js';

/** The outcome of one preflight check, as `doctor` prints it. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Filesystems whose content is gone after a reboot. */
const VOLATILE_FILESYSTEMS = new Set(['tmpfs', 'ramfs']);

/** Where {@link checkStateDir} learns about the machine; the defaults are the real ones. */
export interface StateDirEnvironment {
  /** The mount table to read; `/proc/mounts` on Linux, none elsewhere. */
  readonly mountsFile?: string | undefined;
  /** The OS temp dir; `os.tmpdir()` by default. */
  readonly tempDir?: string | undefined;
}

/**
 * Whether the state directory can be created and written (a probe file is written, fsynced and
 * removed), and whether it will survive a reboot (tmpfs, or under the OS temp dir, will not).
 *
 * @example
 * ```ts
 * await checkStateDir('/var/lib/softclient4es'); // { name: 'state dir', ok: true, detail: 'writable: ... (ext4, persistent)' }
 * ```
 */
export async function checkStateDir(dir: string, environment: StateDirEnvironment = {}): Promise<DoctorCheck> {
  const name = 'state dir';
  const probe = tempPathFor(path.join(dir, 'doctor-probe'));
  try {
    await ensureStateDir(dir);
    await writeNewFileDurably(probe, 'probe\n');
    await unlink(probe);
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    return { name, ok: false, detail: `${dir} is not writable (${errnoCode(error)})` };
  }
  const volatility = await volatilityOf(dir, environment);
  const where = volatility.filesystem ? `${dir} (${volatility.filesystem})` : dir;
  if (volatility.reason === undefined) return { name, ok: true, detail: `writable: ${where}, persistent` };
  return {
    name,
    ok: true,
    detail: `writable: ${where}, but it is ${volatility.reason}: the instance id and license cache will not survive a reboot`,
  };
}

async function volatilityOf(
  dir: string,
  environment: StateDirEnvironment,
): Promise<{ filesystem?: string; reason?: string }> {
  const real = await realpath(dir).catch(() => path.resolve(dir));
  const mountsFile = environment.mountsFile ?? (process.platform === 'linux' ? '/proc/mounts' : undefined);
  const filesystem = mountsFile === undefined ? undefined : await filesystemTypeOf(mountsFile, real);
  const base = filesystem ? { filesystem } : {};
  if (filesystem && VOLATILE_FILESYSTEMS.has(filesystem)) return { ...base, reason: `on ${filesystem}` };
  const tempDir = environment.tempDir ?? os.tmpdir();
  const temp = await realpath(tempDir).catch(() => path.resolve(tempDir));
  if (isInside(real, temp)) return { ...base, reason: `under the OS temp dir (${temp})` };
  return base;
}

async function filesystemTypeOf(mountsFile: string, target: string): Promise<string | undefined> {
  try {
    return filesystemTypeAt(await readFile(mountsFile, 'utf8'), target);
  } catch {
    return undefined;
  }
}

/**
 * The filesystem type of the longest mount point in `mounts` (the text of `/proc/mounts`) that
 * contains the absolute path `target`; the last of equal mount points wins, as it hides the others.
 *
 * @example
 * ```ts
 * filesystemTypeAt('/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n', '/tmp/x'); // 'tmpfs'
 * ```
 */
export function filesystemTypeAt(mounts: string, target: string): string | undefined {
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [, rawMountPoint, type] = line.split(' ');
    if (rawMountPoint === undefined || type === undefined) continue;
    // The kernel escapes space, tab, newline and backslash in mount points as octal (`\040`).
    const mountPoint = rawMountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
      String.fromCharCode(Number.parseInt(octal, 8)),
    );
    if (!isInside(target, mountPoint)) continue;
    if (!best || mountPoint.length >= best.mountPoint.length) best = { mountPoint, type };
  }
  return best?.type;
}

function isInside(target: string, parent: string): boolean {
  const relative = path.relative(parent, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The instance id stored in `dir` (created on first use), and whether it is persisted; an id that
 * lives in memory only fails the check, since every run would then count as a new installation.
 *
 * @example
 * ```ts
 * await checkInstanceId(stateDir, log); // { name: 'instance id', ok: true, detail: '0b9c...7c10 (persisted)' }
 * ```
 */
export async function checkInstanceId(dir: string, log: Logger): Promise<DoctorCheck> {
  const name = 'instance id';
  try {
    const { id, persisted } = await loadInstanceId(dir, log);
    if (persisted) return { name, ok: true, detail: `${id} (persisted in ${dir})` };
    return { name, ok: false, detail: `${id} (in memory only: ${dir} cannot hold it, so each run gets a new id)` };
  } catch (error) {
    return { name, ok: false, detail: `cannot load the instance id from ${dir} (${errnoCode(error)})` };
  }
}

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

/**
 * The ids of the keys licenses are verified with; not ok when there is none, or when one is not
 * an Ed25519 public key (the agent accepts EdDSA only).
 *
 * @example
 * ```ts
 * describeTrustedKeys(DEFAULT_TRUSTED_KEYS); // { name: 'trusted keys', ok: true, detail: 'softclient4es-2026-1 (EdDSA, Ed25519)' }
 * ```
 */
export function describeTrustedKeys(jwks: JSONWebKeySet): DoctorCheck {
  const name = 'trusted keys';
  const keys: unknown[] = Array.isArray(jwks?.keys) ? jwks.keys : [];
  if (keys.length === 0) return { name, ok: false, detail: 'no trusted key: no license can be verified' };
  const described: string[] = [];
  const unusable: string[] = [];
  for (const key of keys) {
    const { kid, alg, crv, kty } = (key ?? {}) as Record<string, unknown>;
    const id = typeof kid === 'string' && kid !== '' ? kid : '(no kid)';
    const attributes = [alg, crv ?? kty].filter((each) => typeof each === 'string').join(', ');
    described.push(attributes ? `${id} (${attributes})` : id);
    if (kty !== 'OKP' || crv !== 'Ed25519') unusable.push(id);
  }
  const list = described.join('; ');
  if (unusable.length === 0) return { name, ok: true, detail: list };
  return { name, ok: false, detail: `${list}; not an Ed25519 key (OKP): ${unusable.join(', ')}` };
}
