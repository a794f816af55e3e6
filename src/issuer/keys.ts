/**
 * The issuer's signing key: one Ed25519 pair, with the public half published as a JWKS so that
 * agents (and tests) can trust exactly this issuer.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

/** An issuer's key pair, ready to sign licenses and to be trusted by a verifier. */
export interface IssuerKeys {
  /** The key id, written into every token's protected header and into the public JWK. */
  readonly kid: string;
  /** The Ed25519 private key licenses are signed with (extractable, for a test that persists it). */
  readonly privateKey: CryptoKey;
  /** The public key as a JWK carrying `kid`, `alg: 'EdDSA'` and `use: 'sig'`. */
  readonly publicJwk: JWK;
  /** `{ keys: [publicJwk] }`: what an agent is given as its trusted keys. */
  readonly jwks: JSONWebKeySet;
}

/**
 * Generates a fresh Ed25519 key pair for an issuer.
 *
 * @param kid The key id; defaults to `issuer-` followed by 8 random hex characters, so that two
 *   issuers in one test never share a kid by accident.
 * @example
 * ```ts
 * import { createLicenseAgent } from 'softclient4es-license';
 * import { generateIssuerKeys, mintLicense } from 'softclient4es-license/issuer';
 *
 * const keys = await generateIssuerKeys();
 * const licenseKey = await mintLicense(keys, { sub: 'lic-1', tier: 'Pro' }, { now: Date.now() });
 * const agent = createLicenseAgent({ version: '1.2.3', licenseKey, trustedKeys: keys.jwks });
 * ```
 */
export async function generateIssuerKeys(kid: string = `issuer-${randomBytes(4).toString('hex')}`): Promise<IssuerKeys> {
  // Extractable so that a demo or a test can export the private key if it needs to persist it.
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk: JWK = Object.freeze({ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' });
  return Object.freeze({ kid, privateKey, publicJwk, jwks: Object.freeze({ keys: [publicJwk] }) });
}
