/**
 * The public keys the agent trusts by default: the Ed25519 signing key of the SoftClient4ES license
 * service. Only public halves live here. Embedders (and tests, with the reference issuer) pass
 * `trustedKeys` explicitly; `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY` adds one (see public-key-variable.ts).
 */
import type { JSONWebKeySet } from 'jose';

/** The `iss` of every license SoftClient4ES issues. */
export const DEFAULT_ISSUER = 'https://license.softclient4es.com';

/** The keys licenses are verified with when `trustedKeys` is not given: the license service's public Ed25519 key. */
export const DEFAULT_TRUSTED_KEYS: JSONWebKeySet = Object.freeze({
  keys: [
    Object.freeze({
      kty: 'OKP',
      crv: 'Ed25519',
      x: 'ExllwNsikUGqX0ctp6RMVqE74qFpbMXlivY_GEEoET0',
      kid: 'softclient4es-2026-1',
      alg: 'EdDSA',
      use: 'sig',
    }),
  ],
});
