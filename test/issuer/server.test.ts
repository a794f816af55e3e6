import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateIssuerKeys } from '../../src/issuer/keys.js';
import { decodeLicenseClaims, mintLicense } from '../../src/issuer/mint.js';
import { T0 } from '../support/clocks.js';
import { clock, HOUR, jwtOf, post, refreshBody, TOKEN_BODY, useLicenseServer } from './helpers.js';

const start = useLicenseServer();

describe('POST /api/v1/licenses/token', () => {
  it('answers a known API key with an EdDSA JWT that verifies against the server JWKS and carries the template claims', async () => {
    const s = await start();
    const response = await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', TOKEN_BODY);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { payload, protectedHeader } = await jwtVerify(await jwtOf(response), createLocalJWKSet(s.keys.jwks), {
      algorithms: ['EdDSA'],
      currentDate: new Date(T0),
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: s.keys.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: 'https://license.softclient4es.com',
      sub: 'lic-pro',
      jti: 'lic-lic-pro',
      org_name: 'lic-pro',
      tier: 'pro',
      features: ['federation'],
      quotas: { max_materialized_views: null, max_result_rows: null, max_clusters: 3, max_joins: null },
      trial: false,
      platform: 'linux',
      iat: T0 / 1000,
      exp: T0 / 1000 + 30 * 24 * 3600,
    });
  });

  it('does not mint a refresh_url into API-key licenses', async () => {
    const s = await start();
    const claims = decodeLicenseClaims(await jwtOf(await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', TOKEN_BODY)));
    expect(claims).not.toHaveProperty('refresh_url');
  });

  it('answers 401 to an unknown API key', async () => {
    const s = await start();
    const response = await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-nope', TOKEN_BODY);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'unknown API key' });
  });

  it('answers 401 to a known API key sent under another scheme than Bearer', async () => {
    const s = await start();
    const response = await post(`${s.url}/api/v1/licenses/token`, 'ApiKey sk-key-pro', TOKEN_BODY);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'unknown API key' });
  });

  it('answers 401 when the Authorization header is missing', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/v1/licenses/token`, undefined, TOKEN_BODY)).status).toBe(401);
  });

  it('sells the license of an API key added with setApiKey', async () => {
    const s = await start();
    s.setApiKey('sk-key-ent', { sub: 'lic-ent', tier: 'Enterprise' });
    const claims = decodeLicenseClaims(await jwtOf(await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-ent', TOKEN_BODY)));
    expect(claims).toMatchObject({ sub: 'lic-ent', tier: 'enterprise' });
  });
});

describe('POST /api/v1/licenses/refresh', () => {
  it('re-issues the same license with a later iat and keeps its refresh_url', async () => {
    const s = await start();
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: s.refreshUrl, validFor: 2 * HOUR });
    clock.now += HOUR;
    const next = decodeLicenseClaims(await jwtOf(await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))));
    expect(next).toMatchObject({
      iss: 'https://license.softclient4es.com',
      sub: 'lic-static',
      jti: 'lic-lic-static',
      tier: 'pro',
      refresh_url: s.refreshUrl,
      iat: (T0 + HOUR) / 1000,
    });
    expect(next.exp).toBe((T0 + HOUR) / 1000 + 30 * 24 * 3600);
  });

  it('re-issues from the template registered for the license id', async () => {
    const s = await start({ licenses: { 'lic-static': { sub: 'lic-static', tier: 'Enterprise', validFor: HOUR } } });
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: s.refreshUrl });
    const next = decodeLicenseClaims(await jwtOf(await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))));
    expect(next).toMatchObject({ tier: 'enterprise', refresh_url: s.refreshUrl, exp: (T0 + HOUR) / 1000 });
  });

  it('keeps the jti, org_name and max_result_rows quota of a license it re-issues as it is', async () => {
    const s = await start();
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro', jti: 'lic-007', org_name: 'Acme Corp', quotas: { max_query_results: 500 } });
    const next = decodeLicenseClaims(await jwtOf(await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))));
    expect(next).toMatchObject({ jti: 'lic-007', org_name: 'Acme Corp', tier: 'pro', quotas: { max_result_rows: 500 } });
    expect(next['quotas']).not.toHaveProperty('max_query_results');
  });

  it('refreshes a license that has just expired', async () => {
    const s = await start();
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: s.refreshUrl, validFor: HOUR });
    clock.now += 2 * HOUR;
    const next = decodeLicenseClaims(await jwtOf(await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))));
    expect(next.exp).toBeGreaterThan(clock.now / 1000);
  });

  it("answers 204 when the refresh answer is 'unchanged'", async () => {
    const s = await start({ refreshAnswer: 'unchanged' });
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: s.refreshUrl });
    const response = await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('switches between re-issuing and 204 with setRefreshAnswer', async () => {
    const s = await start();
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro' });
    s.setRefreshAnswer('unchanged');
    expect((await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))).status).toBe(204);
    s.setRefreshAnswer('reissue');
    expect((await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-static'))).status).toBe(200);
  });

  it('answers 401 to a license signed by another key', async () => {
    const s = await start();
    const foreign = await mintLicense(await generateIssuerKeys(), { sub: 'lic-static', tier: 'Pro' }, { now: T0 });
    const response = await post(s.refreshUrl, `Bearer ${foreign}`, refreshBody('lic-static'));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: expect.any(String) });
  });

  it('answers 401 to a license signed by another key under the same kid', async () => {
    const s = await start();
    const impostor = await generateIssuerKeys(s.keys.kid);
    const forged = await mintLicense(impostor, { sub: 'lic-static', tier: 'Pro' }, { now: T0 });
    expect((await post(s.refreshUrl, `Bearer ${forged}`, refreshBody('lic-static'))).status).toBe(401);
  });

  it('answers 401 without a bearer token', async () => {
    const s = await start();
    expect((await post(s.refreshUrl, undefined, refreshBody('lic-static'))).status).toBe(401);
  });

  it('answers 400 when license_id is not the license presented', async () => {
    const s = await start();
    const jwt = await s.mint({ sub: 'lic-static', tier: 'Pro' });
    const response = await post(s.refreshUrl, `Bearer ${jwt}`, refreshBody('lic-other'));
    expect(response.status).toBe(400);
  });
});
