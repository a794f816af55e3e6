/**
 * The public keys the agent trusts by default: the Ed25519 signing key of the SoftClient4ES license
 * service. Only public halves live here. They are deliberately not settable from the environment:
 * a license that anyone can sign is no license. Embedders (and tests, with the reference issuer)
 * pass `trustedKeys` explicitly.
 */
import type { JSONWebKeySet } from 'jose';

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
}) as JSONWebKeySet;
