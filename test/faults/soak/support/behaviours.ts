/**
 * The server behaviours the soak draws from, as fault handlers for the reference server's
 * `respondWith`. Handlers answer synchronously, so the licenses they serve are minted synchronously
 * here (EdDSA over node:crypto, the same JWS the issuer's `mintLicense` produces).
 */
import { KeyObject, generateKeyPairSync, sign } from 'node:crypto';
import type { FaultResponse, IssuerKeys, LicenseTemplate, RecordedRequest } from '../../../../src/issuer/index.js';
import { decodeLicenseClaims, REFRESH_PATH } from '../../../../src/issuer/index.js';
import { templateClaims } from '../../../../src/issuer/mint.js';

export const BEHAVIOURS = [
  'ok',
  'okShortLicense',
  'noContent',
  'unavailable',
  'rejected',
  'slow',
  'badSignature',
  'wrongSub',
  'olderIat',
  'tooManyRequests',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** The knobs of one step's behaviour. */
export interface BehaviourParams {
  readonly behaviour: Behaviour;
  /** `okShortLicense`: the served license's lifetime. */
  readonly shortValidForMs: number;
  /** `tooManyRequests`: the `Retry-After` in seconds. */
  readonly retryAfterSeconds: number;
  /** `slow`: how long the server takes, on the test clock. */
  readonly slowMs: number;
}

export const LICENSE_ID = 'lic-soak';
export const OTHER_LICENSE_ID = 'lic-other';

const FOREIGN_KEY = generateKeyPairSync('ed25519').privateKey;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` as an EdDSA JWT with `kid`; the key may be the issuer's or a forger's. */
export function signJwt(claims: object, kid: string, key: KeyObject): string {
  const input = `${b64({ alg: 'EdDSA', kid, typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function jsonAnswer(jwt: string): FaultResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) };
}

export interface BehaviourContext {
  readonly keys: IssuerKeys;
  readonly now: () => number;
  /** The template the served licenses start from (sub, tier, refresh_url). */
  readonly template: LicenseTemplate;
  /** An `iat` (seconds) older than any license the agent can hold. */
  readonly ancientIat: number;
}

/** The fault handler of a step: `undefined` from it lets the reference server answer normally. */
export function faultHandler(params: BehaviourParams, context: BehaviourContext): (request: RecordedRequest) => FaultResponse | undefined {
  const issuerKey = KeyObject.from(context.keys.privateKey);
  const claims = (template: LicenseTemplate) => templateClaims(template, context.now());
  return (request) => {
    switch (params.behaviour) {
      case 'ok':
      case 'slow':
        return undefined;
      case 'okShortLicense':
        return jsonAnswer(signJwt(claims({ ...context.template, validFor: params.shortValidForMs }), context.keys.kid, issuerKey));
      case 'noContent':
        return { status: 204 };
      case 'unavailable':
        return { status: 503, headers: { 'content-type': 'text/plain' }, body: 'service unavailable' };
      case 'rejected':
        return { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'license rejected' }) };
      case 'tooManyRequests':
        return { status: 429, headers: { 'retry-after': String(params.retryAfterSeconds) }, body: 'slow down' };
      case 'badSignature':
        return jsonAnswer(signJwt(claims(context.template), context.keys.kid, FOREIGN_KEY));
      case 'wrongSub':
        return jsonAnswer(signJwt(claims({ ...context.template, sub: OTHER_LICENSE_ID }), context.keys.kid, issuerKey));
      case 'olderIat': {
        const exp = Math.floor(context.now() / 1000) + 30 * 86_400;
        return jsonAnswer(signJwt(claims({ ...context.template, iat: context.ancientIat, exp, ...subOf(request) }), context.keys.kid, issuerKey));
      }
    }
  };
}

/**
 * The refresh endpoint re-issues the presented license: keep its sub. (The token endpoint's Bearer
 * is the API key, not a license.)
 */
function subOf(request: RecordedRequest): { sub?: string } {
  const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  return bearer === undefined || request.path !== REFRESH_PATH ? {} : { sub: String(decodeLicenseClaims(bearer).sub) };
}
