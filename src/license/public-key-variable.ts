/**
 * `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY`: one more key to verify licenses with, as SoftClient4ES's helm
 * chart documents it for air-gapped servers. An Ed25519 public JWK, or a JWKS of them.
 *
 * Trusting a key from the environment is safe enough: whoever sets a server's environment can also
 * replace its binary, so the variable grants nothing they did not already have. What it must not do
 * is fail quietly, so a value that is not a usable public key stops the agent with an error that
 * names the variable.
 */
import type { JWK } from 'jose';
import { LicenseConfigError } from '../errors.js';

export const PUBLIC_KEY_VARIABLE = 'SOFTCLIENT4ES_LICENSE_PUBLIC_KEY';

function publicKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return 'is not a JWK object';
  const jwk = key as Record<string, unknown>;
  if (jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') return 'is not an Ed25519 key (kty "OKP", crv "Ed25519")';
  if (typeof jwk['x'] !== 'string' || !/^[\w-]{43}$/.test(jwk['x'])) return 'has no 32-byte public key "x"';
  // A private half here would sit in every process listing and crash dump: refuse it outright.
  if ('d' in jwk) return 'holds a private key ("d"): give the public half only';
  if (typeof jwk['kid'] !== 'string' || jwk['kid'].length === 0) return 'has no "kid": licenses name the key they are signed with';
  return undefined;
}

/** The keys the variable adds: none when it is unset or blank. Throws `LicenseConfigError` when malformed. */
export function readPublicKeyVariable(env: Record<string, string | undefined>): JWK[] {
  const raw = env[PUBLIC_KEY_VARIABLE]?.trim();
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new LicenseConfigError(PUBLIC_KEY_VARIABLE, 'is not JSON (an Ed25519 public JWK, or a JWKS { "keys": [...] })');
  }
  const keys = typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys)
    ? (value as { keys: unknown[] }).keys
    : [value];
  if (keys.length === 0) throw new LicenseConfigError(PUBLIC_KEY_VARIABLE, 'is a JWKS with no keys');
  keys.forEach((key, index) => {
    const problem = publicKeyProblem(key);
    if (problem) throw new LicenseConfigError(PUBLIC_KEY_VARIABLE, keys.length === 1 ? problem : `key ${index + 1} ${problem}`);
  });
  return (keys as JWK[]).map((key) => ({ ...key, alg: 'EdDSA', use: 'sig' }));
}
