/**
 * Verification and configuration errors: every JWT adopted is checked against the trusted keys; a
 * refresh answer that is forged, for another license or older than the current one is a failed
 * refresh; bad options throw at once, naming the option.
 */
import { describe, expect, it } from 'vitest';
import { createLicenseAgent, type LicenseAgentOptions } from '../../src/index.js';
import { generateIssuerKeys, mintLicense, type LicenseServer } from '../../src/issuer/index.js';
import { ERROR, WARN } from '../support/logs.js';
import { nowSeconds, sleep, useE2E, waitFor } from './support/harness.js';

const e2e = useE2E();

const SUB = 'lic-static';

/** A server whose refresh answers are replaced by `jwt`, and an agent on a license it issued. */
async function agentAnsweredWith(server: LicenseServer, forged: string, licenseKey: string) {
  server.respondWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt: forged }) }));
  const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
  await agent.start();
  const license = agent.license();
  const result = await agent.refreshNow();
  return { agent, license, result };
}

describe('verification of configured licenses', () => {
  it('logs an error and runs as Community when the configured JWT is signed by an untrusted key', async () => {
    const server = await e2e.server();
    const stranger = await generateIssuerKeys();
    const licenseKey = await mintLicense(stranger, { sub: SUB, tier: 'Enterprise', refresh_url: server.refreshUrl }, { now: Date.now() });
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '300ms' } });
    await expect(agent.start()).resolves.toBeUndefined();
    expect(agent.status()).toMatchObject({ mode: 'community', tier: 'Community' });
    expect(agent.license().tier).toBe('Community');
    const errors = e2e.logs.at(ERROR);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/does not verify/);
    // An untrusted license is no refresh path either.
    await sleep(700);
    expect(server.requests).toHaveLength(0);
  });
});

describe('verification of refresh answers', () => {
  it('rejects an answer with an invalid signature: a warning, and the current license stays', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: SUB, tier: 'Pro', refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
    // Same kid as the trusted key, different private key: only the signature can tell.
    const impostor = await generateIssuerKeys(server.keys.kid);
    const forged = await mintLicense(impostor, { sub: SUB, tier: 'Enterprise', refresh_url: server.refreshUrl }, { now: Date.now() });
    const { agent, license, result } = await agentAnsweredWith(server, forged, licenseKey);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/signature/);
    expect(agent.license()).toBe(license);
    expect(agent.status().tier).toBe('Pro');
    await waitFor(() => e2e.logs.refreshFailures().length > 0, 1_000, 'a failure warning');
    expect(e2e.logs.refreshFailures()[0]!.level).toBe(WARN);
  });

  it('rejects an answer signed by an unknown key', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: SUB, tier: 'Pro', refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
    const forged = await mintLicense(await generateIssuerKeys(), { sub: SUB, tier: 'Enterprise' }, { now: Date.now() });
    const { agent, license, result } = await agentAnsweredWith(server, forged, licenseKey);
    expect(result).toMatchObject({ status: 'failed', previousTier: 'Pro', newTier: 'Pro' });
    expect(result.message).toMatch(/unknown key/);
    expect(agent.license()).toBe(license);
    expect(e2e.logs.refreshFailures().length).toBeGreaterThanOrEqual(1);
  });

  it('rejects a static refresh answer for another license id', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: SUB, tier: 'Pro', refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
    const other = await server.mint({ sub: 'lic-someone-else', tier: 'Enterprise', refresh_url: server.refreshUrl });
    const { agent, license, result } = await agentAnsweredWith(server, other, licenseKey);
    expect(result.status).toBe('failed');
    expect(result.message).toContain('lic-someone-else');
    expect(agent.license()).toBe(license);
    expect(agent.status().licenseId).toBe(SUB);
    expect(e2e.logs.refreshFailures().length).toBeGreaterThanOrEqual(1);
  });

  it('rejects a refresh answer older (by iat) than the current license', async () => {
    const server = await e2e.server();
    const licenseKey = await server.mint({ sub: SUB, tier: 'Pro', refresh_url: server.refreshUrl });
    const older = await server.mint({ sub: SUB, tier: 'Enterprise', refresh_url: server.refreshUrl, iat: nowSeconds() - 3_600 });
    const { agent, license, result } = await agentAnsweredWith(server, older, licenseKey);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/older/);
    expect(agent.license()).toBe(license);
    expect(agent.status().tier).toBe('Pro');
    expect(e2e.logs.refreshFailures().length).toBeGreaterThanOrEqual(1);
  });

  it('rejects an API-key answer signed by an untrusted key and stays Community', async () => {
    const server = await e2e.server();
    const forged = await mintLicense(await generateIssuerKeys(), { sub: 'lic-pro', tier: 'Pro' }, { now: Date.now() });
    server.respondWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt: forged }) }));
    const agent = e2e.agent({
      apiKey: 'sk-e2e_forged_key', serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
    });
    await agent.start();
    expect(agent.status()).toMatchObject({ mode: 'api-key', tier: 'Community', state: 'firstLicense.retryWait' });
    expect(e2e.logs.refreshFailures()[0]?.msg).toMatch(/unknown key/);
  });
});

describe('configuration errors', () => {
  const base: LicenseAgentOptions = { version: '1.2.3', env: {} };

  it.each<[string, Record<string, unknown>, string]>([
    ['an unparsable interval', { refresh: { interval: 'soon' } }, 'refresh.interval'],
    ['a jitter of 1 or more', { refresh: { jitter: 2 } }, 'refresh.jitter'],
    ['an unknown option', { refreshInterval: 1 }, 'refreshInterval'],
    ['an unknown refresh option', { refresh: { every: '1h' } }, 'refresh.every'],
    ['plain http to a non-loopback server', { serverUrl: 'http://example.com' }, 'serverUrl'],
    ['an unparsable read timeout', { readTimeout: 'forever' }, 'readTimeout'],
  ])('throws ERR_LICENSE_CONFIG naming the option for %s', (_what, options, option) => {
    let thrown: unknown;
    try {
      createLicenseAgent({ ...base, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: unknown }).code).toBe('ERR_LICENSE_CONFIG');
    expect((thrown as Error).message).toContain(option);
  });

  it('throws ERR_LICENSE_CONFIG naming the variable for a bad environment value', () => {
    expect(() => createLicenseAgent({ ...base, env: { SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: 'soon' } })).toThrow(
      expect.objectContaining({ code: 'ERR_LICENSE_CONFIG', message: expect.stringContaining('SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL') }),
    );
  });
});
