/**
 * Hostile license tokens: forged, replayed, downgraded, malformed and oversized JWTs, each built
 * against a real reference issuer so that everything but the one fault is right: the trusted key,
 * the license id, a newer `iat` and an upgrade to Enterprise that an attacker would want adopted.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWK } from 'jose';
import type { LicenseServer, LicenseTemplate } from '../../../../src/issuer/index.js';
import { templateClaims } from '../../../../src/issuer/mint.js';

/** One hostile token: how to build the token, and how the agent must name the problem. */
export interface HostileCase {
  readonly name: string;
  build(context: HostileContext): Promise<string>;
  /** The problem named in the warning when the token is a refresh answer. */
  readonly refreshProblem: RegExp;
  /** The problem named in the error when the token is configured at start-up; absent: not a start-up fault. */
  readonly startupProblem?: RegExp;
  /** Only static-JWT mode ties a refresh answer to the current license id. */
  readonly staticOnly?: boolean;
}

export interface HostileContext {
  readonly server: LicenseServer;
  /** The current license's id: every token but the "different sub" one claims it. */
  readonly sub: string;
  /** The current license's `iat`, in epoch seconds: the rollback token is older. */
  readonly currentIat: number;
  /** The `refresh_url` the tokens carry (static-JWT mode), or none. */
  readonly refreshUrl?: string | undefined;
}

const ALGORITHM = /license algorithm is not EdDSA/;
const MALFORMED = /license is malformed \(ERR_JWS_INVALID\)/;

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function segments(jwt: string): [string, string, string] {
  const [header, payload, signature] = jwt.split('.');
  if (header === undefined || payload === undefined || signature === undefined) throw new Error('not a compact JWS');
  return [header, payload, signature];
}

/** `jwt` with one character of segment `part` replaced by one outside the base64url alphabet. */
function corruptBase64(jwt: string, part: 0 | 2): string {
  const parts = segments(jwt);
  const segment = parts[part];
  parts[part] = `${segment.slice(0, 5)}*${segment.slice(6)}`;
  return parts.join('.');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The upgrade an attacker wants adopted: the current license id, a newer iat, Enterprise. */
function upgrade(context: HostileContext): LicenseTemplate {
  return {
    sub: context.sub,
    tier: 'Enterprise',
    features: ['federation', 'materialized_views'],
    iat: Math.max(nowSeconds(), context.currentIat),
    ...(context.refreshUrl === undefined ? {} : { refresh_url: context.refreshUrl }),
  };
}

function mint(context: HostileContext, overrides: Partial<LicenseTemplate> = {}): Promise<string> {
  return context.server.mint({ ...upgrade(context), ...overrides });
}

function upgradeClaims(context: HostileContext) {
  return templateClaims(upgrade(context), Date.now());
}

/** The classic key-confusion attack: the issuer's public key, as PEM, used as an HMAC secret. */
function hs256WithPublicKey(context: HostileContext): string {
  const { publicJwk, kid } = context.server.keys;
  const publicPem = createPublicKey({ key: publicJwk as JWK & { kty: string }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const input = `${base64url({ alg: 'HS256', typ: 'JWT', kid })}.${base64url(upgradeClaims(context))}`;
  return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
}

/** Every hostile token. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  {
    name: 'a bad signature (an upgraded payload under a genuine signature)',
    async build(context) {
      const [header, , signature] = segments(await mint(context, { tier: 'Pro' }));
      return `${header}.${base64url(upgradeClaims(context))}.${signature}`;
    },
    refreshProblem: /license signature is invalid/,
    startupProblem: /license signature is invalid/,
  },
  {
    name: 'an unknown kid (signed by the trusted key, under a kid nobody trusts)',
    build: (context) =>
      new SignJWT(upgradeClaims(context)).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: 'kid-nobody-trusts' }).sign(context.server.keys.privateKey),
    refreshProblem: /license is signed by an unknown key id: kid-nobody-trusts/,
    startupProblem: /license is signed by an unknown key id: kid-nobody-trusts/,
  },
  {
    name: 'no kid (signed by the trusted key, saying no key id)',
    build: (context) => new SignJWT(upgradeClaims(context)).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).sign(context.server.keys.privateKey),
    refreshProblem: /license has a missing key id \(kid\)/,
    startupProblem: /license has a missing key id \(kid\)/,
  },
  {
    name: 'another issuer (iss) under the trusted key',
    build: (context) => mint(context, { iss: 'https://licenses.attacker.example' }),
    refreshProblem: /license claim "iss"/,
    startupProblem: /license claim "iss"/,
  },
  {
    name: 'no iss under the trusted key',
    build: (context) => mint(context, { extra: { iss: undefined } }),
    refreshProblem: /license claim "iss"/,
    startupProblem: /license claim "iss"/,
  },
  {
    name: 'alg none',
    build: async (context) => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(upgradeClaims(context))}.`,
    refreshProblem: ALGORITHM,
    startupProblem: ALGORITHM,
  },
  {
    name: 'HS256 signed with the public key as the HMAC secret',
    build: async (context) => hs256WithPublicKey(context),
    refreshProblem: ALGORITHM,
    startupProblem: ALGORITHM,
  },
  {
    name: 'RS256 signed with a foreign key',
    async build(context) {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(upgradeClaims(context)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: context.server.keys.kid }).sign(privateKey);
    },
    refreshProblem: ALGORITHM,
    startupProblem: ALGORITHM,
  },
  {
    // At start-up an expired license is the agent's to judge (grace period): only a refresh must not bring one.
    name: 'an expired token',
    // Newer than the current license, expired for an hour: well past the 5-minute tolerance.
    build: (context) => mint(context, { iat: context.currentIat + 60, exp: nowSeconds() - 3_600 }),
    refreshProblem: /license claim "exp"/,
  },
  {
    name: 'nbf in the future',
    build: (context) => mint(context, { extra: { nbf: nowSeconds() + 3_600 } }),
    refreshProblem: /license claim "nbf"/,
    startupProblem: /license claim "nbf"/,
  },
  {
    // Configured or cached, such a token is adopted (a clock set back is the clock's fault); as an
    // answer it is judged by the server's own Date header, and ahead of it, it would block every later token.
    name: "iat ahead of the license server's clock beyond the 5-minute tolerance",
    build: (context) => mint(context, { iat: nowSeconds() + 600 }),
    refreshProblem: /license claim "iat" is in the future: issued .*, ahead of the license server's own clock/,
  },
  {
    // Beyond a Date's range (8.64e12 s): new Date(exp * 1000).toISOString() would throw.
    name: 'an exp beyond the range of a date (1e13 s)',
    build: (context) => mint(context, { exp: 1e13 }),
    refreshProblem: /license claim "exp" is out of range/,
    startupProblem: /license claim "exp" is out of range/,
  },
  {
    name: 'an iat beyond the range of a date (1e13 s)',
    build: (context) => mint(context, { iat: 1e13, exp: nowSeconds() + 30 * 86_400 }),
    refreshProblem: /license claim "iat" is out of range/,
    startupProblem: /license claim "iat" is out of range/,
  },
  {
    name: 'an nbf beyond the range of a date (1e13 s)',
    build: (context) => mint(context, { extra: { nbf: 1e13 } }),
    refreshProblem: /license claim "nbf"/,
    startupProblem: /license claim "nbf"/,
  },
  {
    name: 'a negative exp',
    build: (context) => mint(context, { exp: -1 }),
    refreshProblem: /license claim "exp"/,
    startupProblem: /license claim "exp" is out of range/,
  },
  {
    name: 'a negative nbf',
    build: (context) => mint(context, { extra: { nbf: -1 } }),
    refreshProblem: /license claim "nbf" is out of range/,
    startupProblem: /license claim "nbf" is out of range/,
  },
  {
    name: 'a different sub than the current license',
    build: (context) => mint(context, { sub: `${context.sub}-someone-else` }),
    refreshProblem: /is for "[^"]+-someone-else", not the current license/,
    staticOnly: true,
  },
  {
    name: 'an older iat than the current JWT (rollback)',
    build: (context) => mint(context, { iat: context.currentIat - 3_600 }),
    refreshProblem: /older than the current one \(iat\)/,
  },
  {
    name: 'a refresh_url over http to a non-loopback host',
    build: (context) => mint(context, { refresh_url: 'http://licenses.example.com/api/v1/licenses/refresh' }),
    refreshProblem: /license claim "refresh_url" must use https/,
    startupProblem: /license claim "refresh_url" must use https/,
  },
  {
    // The Bearer JWT would go wherever the token says: only the origins the operator trusts will do.
    name: 'a refresh_url on an origin outside refreshOrigins',
    build: (context) => mint(context, { refresh_url: 'https://licenses.elsewhere.test/api/v1/licenses/refresh' }),
    refreshProblem: /license claim "refresh_url" names the origin https:\/\/licenses\.elsewhere\.test, which is not a trusted refresh origin/,
    startupProblem: /license claim "refresh_url" names the origin https:\/\/licenses\.elsewhere\.test, which is not a trusted refresh origin/,
  },
  {
    name: 'a refresh_url moved to another port of the same host',
    build: (context) => mint(context, { refresh_url: 'http://127.0.0.1:1/api/v1/licenses/refresh' }),
    refreshProblem: /names the origin http:\/\/127\.0\.0\.1:1, which is not a trusted refresh origin/,
    startupProblem: /names the origin http:\/\/127\.0\.0\.1:1, which is not a trusted refresh origin/,
  },
  ...[
    'https://169.254.169.254/latest/meta-data/iam',
    'https://[fe80::1]/refresh',
    'https://[fd00:ec2::254]/refresh',
    'https://[::ffff:169.254.169.254]/refresh',
  ].map((refresh_url) => ({
    name: `a refresh_url on a link-local or metadata address (${refresh_url})`,
    build: (context: HostileContext) => mint(context, { refresh_url }),
    refreshProblem: /license claim "refresh_url" names .*, a link-local or cloud-metadata address, which is never trusted/,
    startupProblem: /license claim "refresh_url" names .*, a link-local or cloud-metadata address, which is never trusted/,
  })),
  {
    name: 'a refresh_url that is not a URL',
    build: (context) => mint(context, { refresh_url: 'licenses at example dot com' }),
    refreshProblem: /license claim "refresh_url" is not a URL/,
    startupProblem: /license claim "refresh_url" is not a URL/,
  },
  {
    name: 'malformed base64 in the header',
    build: async (context) => corruptBase64(await mint(context), 0),
    refreshProblem: MALFORMED,
    startupProblem: MALFORMED,
  },
  {
    name: 'malformed base64 in the signature',
    build: async (context) => corruptBase64(await mint(context), 2),
    refreshProblem: MALFORMED,
    startupProblem: MALFORMED,
  },
  {
    name: 'a token truncated to half its length',
    build: async (context) => {
      const jwt = await mint(context);
      return jwt.slice(0, Math.floor(jwt.length / 2));
    },
    refreshProblem: MALFORMED,
    startupProblem: MALFORMED,
  },
  {
    name: 'a token truncated inside its signature',
    build: async (context) => (await mint(context)).slice(0, -8),
    refreshProblem: /license signature is invalid/,
    startupProblem: /license signature is invalid/,
  },
  {
    // Genuinely signed: only its size betrays it. As an answer its body is over the 64 KiB cap.
    name: 'a 1 MB token',
    build: (context) => mint(context, { extra: { padding: 'x'.repeat(1024 * 1024) } }),
    refreshProblem: /response body over 65536 bytes/,
    startupProblem: /over the 16384-byte limit/,
  },
];
