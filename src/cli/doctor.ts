/**
 * The preflight checks behind `softclient4es-license doctor`: state directory (in
 * `doctor-state-dir.ts`), instance id, proxy variables and tunnel (in `doctor-proxy.ts`), DNS, TLS
 * handshake and clock offset (in `doctor-network.ts`), and trusted keys; this module re-exports them
 * all. Each check is a plain function that returns a {@link DoctorCheck} and never throws. None of
 * them sends a license, an API key or telemetry: the only requests are a bare `HEAD /` to the
 * server's origin, for its `Date` header, and a `CONNECT` to the proxy, if one applies, closed once
 * answered.
 */
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { errnoCode } from '../state/errno.js';
import { loadInstanceId } from '../state/instance-id.js';

export { checkClockOffset, checkDns, checkTls } from './doctor-network.js';
export { checkProxyTunnel, describeProxy } from './doctor-proxy.js';
export { checkStateDir, filesystemTypeAt, type StateDirEnvironment } from './doctor-state-dir.js';

/** The outcome of one preflight check, as `doctor` prints it. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
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
