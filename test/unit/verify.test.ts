import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LicenseVerificationError } from '../../src/errors.js';
import { generateIssuerKeys, type IssuerKeys } from '../../src/issuer/keys.js';
import { mintLicense, type LicenseTemplate } from '../../src/issuer/mint.js';
import { checkSuccessor, createVerifier, type LicenseVerifier } from '../../src/license/verify.js';
import { parseClaims, type VerifiedLicense } from '../../src/license/claims.js';

const NOW = Date.UTC(2030, 0, 1);
const NOW_S = NOW / 1000;
const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'], quotas: { max_clusters: 3 } };

let keys: IssuerKeys;
let verify: LicenseVerifier;

beforeAll(async () => {
  keys = await generateIssuerKeys();
  verify = createVerifier(keys.jwks);
});

function mint(template: Partial<LicenseTemplate> = {}, issuer: IssuerKeys = keys): Promise<string> {
  return mintLicense(issuer, { ...PRO, ...template }, { now: NOW });
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Every 12-character run of the token: none may appear in an error message. */
function tokenFragments(token: string): string[] {
  const sample = token.length > 4_096 ? token.slice(0, 4_096) : token;
  const fragments: string[] = [];
  for (let i = 0; i + 12 <= sample.length; i++) fragments.push(sample.slice(i, i + 12));
  return fragments;
}

async function expectRejected(token: string, purpose: 'received' | 'stored' = 'received'): Promise<LicenseVerificationError> {
  let thrown: unknown;
  try {
    await verify(token, { now: NOW, purpose });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LicenseVerificationError);
  const error = thrown as LicenseVerificationError;
  expect(error.code).toBe('ERR_LICENSE_VERIFICATION');
  const leaked = tokenFragments(token).filter((fragment) => error.message.includes(fragment));
  expect(leaked).toEqual([]);
  return error;
}

describe('createVerifier accepts', () => {
  it('a stored token issued a day ahead of our clock (a clock set back): SoftClient4ES does not judge iat', async () => {
    const license = await verify(await mint({ iat: NOW_S + 86_400 }), { now: NOW, purpose: 'stored' });
    expect(license.claims.iat).toBe(NOW_S + 86_400);
  });

  it('a stored token whose nbf equals its iat, both a day ahead of our clock', async () => {
    const license = await verify(await mint({ iat: NOW_S + 86_400, extra: { nbf: NOW_S + 86_400 } }), { now: NOW, purpose: 'stored' });
    expect(license.claims.sub).toBe('lic-pro');
  });

  it("a received token issued a day ahead of our clock but on the license server's clock", async () => {
    const license = await verify(await mint({ iat: NOW_S + 86_400 }), { now: NOW, purpose: 'received', issuerNow: NOW + 86_400_000 + 1_000 });
    expect(license.claims.iat).toBe(NOW_S + 86_400);
  });

  it('the last second a date can hold, as exp', async () => {
    const license = await verify(await mint({ exp: 8.64e12 }), { now: NOW, purpose: 'received' });
    expect(license.claims.exp).toBe(8.64e12);
  });

  it('a good token, with its claims parsed', async () => {
    const jwt = await mint({ platform: 'staging', refresh_url: 'https://licenses.example.com/refresh' });
    const license = await verify(jwt, { now: NOW, purpose: 'received' });
    expect(license.jwt).toBe(jwt);
    expect(license.claims).toEqual({
      sub: 'lic-pro',
      tier: 'Pro',
      features: ['federation'],
      quotas: { max_materialized_views: null, max_query_results: null, max_clusters: 3, max_joins: null },
      trial: false,
      iat: NOW_S,
      exp: NOW_S + 30 * 24 * 3600,
      refresh_url: 'https://licenses.example.com/refresh',
      platform: 'STAGING',
      jti: 'lic-lic-pro',
      org_name: 'lic-pro',
    });
    expect(Object.isFrozen(license)).toBe(true);
  });

  it('a token with an unknown tier, as Community', async () => {
    const license = await verify(await mint({ extra: { tier: 'Platinum' } }), { now: NOW, purpose: 'received' });
    expect(license.claims.tier).toBe('Community');
  });

  it('a token with a lower-case tier, as that tier', async () => {
    const license = await verify(await mint({ extra: { tier: 'enterprise' } }), { now: NOW, purpose: 'received' });
    expect(license.claims.tier).toBe('Enterprise');
  });

  it('a token without iat, leaving iat absent', async () => {
    const license = await verify(await mint({ extra: { iat: undefined }, validFor: null }), { now: NOW, purpose: 'received' });
    expect(license.claims.iat).toBeUndefined();
    expect(license.claims.sub).toBe('lic-pro');
  });

  it('a token without iat that expires, for purpose received', async () => {
    const license = await verify(await mint({ extra: { iat: undefined }, exp: NOW_S + 3600 }), { now: NOW, purpose: 'received' });
    expect([license.claims.iat, license.claims.exp]).toEqual([undefined, NOW_S + 3600]);
  });

  it('a token issued by another issuer when the verifier is created for that issuer', async () => {
    const other = createVerifier(keys.jwks, 'https://licenses.example.com');
    const license = await other(await mint({ iss: 'https://licenses.example.com' }), { now: NOW, purpose: 'received' });
    expect(license.claims.sub).toBe('lic-pro');
  });

  it('a token that never expires', async () => {
    const license = await verify(await mint({ validFor: null }), { now: NOW, purpose: 'received' });
    expect(license.claims.exp).toBeUndefined();
  });

  it('an expired token for purpose stored (the agent handles expiry itself)', async () => {
    const jwt = await mint({ iat: NOW_S - 48 * 3600, exp: NOW_S - 3600 });
    const license = await verify(jwt, { now: NOW, purpose: 'stored' });
    expect(license.claims.exp).toBe(NOW_S - 3600);
  });

  it('an iat up to 5 minutes in the future (clock skew)', async () => {
    const license = await verify(await mint({ iat: NOW_S + 240 }), { now: NOW, purpose: 'received' });
    expect(license.claims.iat).toBe(NOW_S + 240);
  });

  it.each(['http://127.0.0.1:8080/api/v1/licenses/refresh', 'http://localhost/refresh', 'http://[::1]:9000/refresh'])(
    'a refresh_url over plain http to the loopback host of %s',
    async (refresh_url) => {
      expect((await verify(await mint({ refresh_url }), { now: NOW, purpose: 'received' })).claims.refresh_url).toBe(refresh_url);
    },
  );
});

describe('createVerifier rejects, with a LicenseVerificationError that quotes no part of the token', () => {
  it('a bad signature (one character of the signature changed)', async () => {
    const jwt = await mint();
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    const error = await expectRejected(`${header}.${payload}.${flipped}`);
    expect(error.message).toMatch(/signature/);
  });

  it('a payload changed after signing', async () => {
    const [header, , signature] = (await mint()).split('.') as [string, string, string];
    const forged = base64url({ sub: 'lic-pro', tier: 'Enterprise', iat: NOW_S });
    await expectRejected(`${header}.${forged}.${signature}`);
  });

  it('a token signed by another issuer (unknown kid), naming the kid', async () => {
    const stranger = await generateIssuerKeys('stranger-key-1');
    const error = await expectRejected(await mint({}, stranger));
    expect(error.message).toBe('license is signed by an unknown key id: stranger-key-1');
  });

  it('a token whose unknown kid is not printable, without quoting it', async () => {
    const stranger = await generateIssuerKeys('bad kid\n{"level":30}');
    const error = await expectRejected(await mint({}, stranger));
    expect(error.message).toBe('license is signed by an unknown key id: (unprintable)');
  });

  it('a token without kid, signed by the trusted key', async () => {
    const jwt = await new SignJWT({ iss: 'https://license.softclient4es.com', sub: 'lic-pro', tier: 'pro', iat: NOW_S, exp: NOW_S + 3600 })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .sign(keys.privateKey);
    const error = await expectRejected(jwt);
    expect(error.message).toBe('license has a missing key id (kid)');
  });

  it('a token from another issuer (iss), naming iss', async () => {
    const error = await expectRejected(await mint({ iss: 'https://licenses.example.com' }));
    expect(error.claim).toBe('iss');
    expect(error.message).toContain('"iss"');
  });

  it('a token without iss, naming iss', async () => {
    const error = await expectRejected(await mint({ extra: { iss: undefined } }));
    expect(error.claim).toBe('iss');
  });

  it('a token of the default issuer when the verifier expects another one', async () => {
    const other = createVerifier(keys.jwks, 'https://licenses.example.com');
    await expect(other(await mint(), { now: NOW, purpose: 'received' })).rejects.toMatchObject({
      code: 'ERR_LICENSE_VERIFICATION',
      claim: 'iss',
    });
  });

  it('a token signed by another key under the trusted kid', async () => {
    await expectRejected(await mint({}, await generateIssuerKeys(keys.kid)));
  });

  it('alg none with an empty signature', async () => {
    const header = base64url({ alg: 'none', kid: keys.kid, typ: 'JWT' });
    const payload = base64url({ sub: 'lic-pro', tier: 'Enterprise', iat: NOW_S, exp: NOW_S + 3600 });
    await expectRejected(`${header}.${payload}.`);
  });

  it('HS256 signed with the public key bytes as the HMAC secret', async () => {
    const secret = Buffer.from(keys.publicJwk.x as string, 'base64url');
    const jwt = await new SignJWT({ sub: 'lic-pro', tier: 'Enterprise', iat: NOW_S, exp: NOW_S + 3600 })
      .setProtectedHeader({ alg: 'HS256', kid: keys.kid, typ: 'JWT' })
      .sign(new Uint8Array(secret));
    const error = await expectRejected(jwt);
    expect(error.message).toMatch(/algorithm/);
  });

  it('RS256 signed with a foreign RSA key', async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwt = await new SignJWT({ sub: 'lic-pro', tier: 'Enterprise', iat: NOW_S, exp: NOW_S + 3600 })
      .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
      .sign(privateKey);
    await expectRejected(jwt);
  });

  it('an expired token for purpose received, reported as expired (claim exp), not as malformed', async () => {
    const error = await expectRejected(await mint({ iat: NOW_S - 48 * 3600, exp: NOW_S - 3600 }), 'received');
    expect({ claim: error.claim, malformed: error.message.includes('malformed') }).toEqual({ claim: 'exp', malformed: false });
  });

  it('a token whose nbf is in the future, even when stored', async () => {
    const error = await expectRejected(await mint({ extra: { nbf: NOW_S + 3600 } }), 'stored');
    expect(error.claim).toBe('nbf');
  });

  it('a received token whose iat is more than 5 minutes ahead of our clock, with no server clock known', async () => {
    const error = await expectRejected(await mint({ iat: NOW_S + 600 }));
    expect(error.claim).toBe('iat');
  });

  it("a received token issued more than 5 minutes ahead of the license server's own clock", async () => {
    // Our clock is a day behind the server's; the token is ahead even of the server's.
    let thrown: unknown;
    await verify(await mint({ iat: NOW_S + 86_400 + 600 }), { now: NOW, purpose: 'received', issuerNow: NOW + 86_400_000 }).catch((error: unknown) => {
      thrown = error;
    });
    expect(thrown).toMatchObject({ claim: 'iat', message: expect.stringContaining("ahead of the license server's own clock") });
  });

  it.each([
    ['exp', { exp: 1e13 }],
    ['exp', { exp: -1 }],
    ['iat', { iat: 1e13, exp: NOW_S + 3600 }],
    ['iat', { iat: -5, exp: NOW_S + 3600 }],
    ['nbf', { extra: { nbf: -1 } }],
  ] as const)('a token whose %s is outside the range of a date (%o), stored or received', async (claim, template) => {
    for (const purpose of ['stored', 'received'] as const) {
      const error = await expectRejected(await mint(template), purpose);
      expect([purpose, error.claim]).toEqual([purpose, claim]);
    }
  });

  it('an nbf beyond the range of a date, named as nbf', async () => {
    const error = await expectRejected(await mint({ extra: { nbf: 1e13 } }), 'stored');
    expect(error.claim).toBe('nbf');
  });

  it.each([
    ['plain http to a public host', 'http://licenses.example.com/refresh'],
    ['plain http to a private address', 'http://192.168.1.10/refresh'],
    ['not a URL', 'licenses.example.com/refresh'],
    ['another scheme', 'ftp://licenses.example.com/refresh'],
    ['carrying credentials', 'https://user:pw@licenses.example.com/refresh'],
  ])('a refresh_url that is %s', async (_, refresh_url) => {
    const error = await expectRejected(await mint({ refresh_url }));
    expect(error.claim).toBe('refresh_url');
  });

  it('malformed base64 in the header', async () => {
    const [, payload, signature] = (await mint()).split('.') as [string, string, string];
    await expectRejected(`eyJ!!!not*base64.${payload}.${signature}`);
  });

  it('a truncated token (signature cut off)', async () => {
    const jwt = await mint();
    await expectRejected(jwt.slice(0, jwt.lastIndexOf('.')));
  });

  it('a token cut in the middle of its signature', async () => {
    const jwt = await mint();
    await expectRejected(jwt.slice(0, jwt.length - 20));
  });

  it('a 1 MB token, before parsing it', async () => {
    const jwt = await mint({ extra: { padding: 'x'.repeat(1024 * 1024) } });
    const error = await expectRejected(jwt);
    expect(error.message).toMatch(/limit/);
  });

  it('an empty token', async () => {
    await expectRejected('');
  });

  it('a token without sub', async () => {
    const error = await expectRejected(await mint({ extra: { sub: undefined } }));
    expect(error.claim).toBe('sub');
  });

  it('a token whose iat is not a number', async () => {
    const error = await expectRejected(await mint({ extra: { iat: 'yesterday' }, validFor: null }));
    expect(error.claim).toBe('iat');
  });
});

function license(sub: string, iat: number | undefined): VerifiedLicense {
  return { jwt: `jwt-${sub}-${iat}`, claims: parseClaims({ sub, tier: 'Pro', iat }) };
}

describe('checkSuccessor', () => {
  it('accepts any license when there is no current one', () => {
    expect(() => checkSuccessor(undefined, license('lic-a', 100), true)).not.toThrow();
  });

  it('rejects a license for another id in static-JWT mode, naming sub', () => {
    let thrown: unknown;
    try {
      checkSuccessor(license('lic-a', 100), license('lic-b', 200), true);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LicenseVerificationError);
    expect((thrown as LicenseVerificationError).claim).toBe('sub');
  });

  it('accepts a license for another id in API-key mode', () => {
    expect(() => checkSuccessor(license('lic-a', 100), license('lic-b', 50), false)).not.toThrow();
  });

  it.each([true, false])('rejects an older iat for the same license (same license required: %s)', (sameLicenseRequired) => {
    expect(() => checkSuccessor(license('lic-a', 100), license('lic-a', 99), sameLicenseRequired)).toThrow(LicenseVerificationError);
  });

  it('accepts an equal iat for the same license', () => {
    expect(() => checkSuccessor(license('lic-a', 100), license('lic-a', 100), true)).not.toThrow();
  });

  it('accepts a newer iat for the same license', () => {
    expect(() => checkSuccessor(license('lic-a', 100), license('lic-a', 101), true)).not.toThrow();
  });

  it.each([
    ['the current license has no iat', undefined, 100],
    ['the refreshed license has no iat', 100, undefined],
    ['neither license has an iat', undefined, undefined],
  ])('skips the rollback check when %s', (_, was, next) => {
    expect(() => checkSuccessor(license('lic-a', was), license('lic-a', next), true)).not.toThrow();
    expect(() => checkSuccessor(license('lic-a', was), license('lic-a', next), false)).not.toThrow();
  });

  it('still rejects another id in static-JWT mode when neither license has an iat', () => {
    expect(() => checkSuccessor(license('lic-a', undefined), license('lic-b', undefined), true)).toThrow(LicenseVerificationError);
  });

  it('names iat when it refuses a rollback', () => {
    try {
      checkSuccessor(license('lic-a', 100), license('lic-a', 1), false);
      expect.unreachable('checkSuccessor accepted a rollback');
    } catch (error) {
      expect((error as LicenseVerificationError).claim).toBe('iat');
    }
  });
});

