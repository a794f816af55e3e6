/**
 * Conformance: SoftClient4ES's resolution order (LicenseResolver), through the public API, against
 * the reference license server on 127.0.0.1 and real state directories.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sleep, useE2E, waitForRequests } from '../e2e/support/harness.js';

const e2e = useE2E();
const API_KEY = 'sk-conformance-resolution';
const DAY = 86_400_000;
const PRO = { sub: 'org-acme-123', tier: 'Pro' } as const;
const ENTERPRISE = { sub: 'org-bigcorp-456', tier: 'Enterprise' } as const;

const messages = () => e2e.logs.lines.map((line) => line.msg);

describe('LicenseResolver order', () => {
  it('step 1: a configured JWT that verifies wins and the API key is not called', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const licenseKey = await server.mint(PRO);
    const agent = e2e.agent({ apiKey: API_KEY, licenseKey, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(server.requests).toHaveLength(0);
    expect(agent.license()).toMatchObject({ tier: 'Pro', licenseId: 'org-acme-123' });
  });

  it('step 1: an expired configured JWT still within grace wins too', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const licenseKey = await server.mint({ ...PRO, validFor: DAY }, Date.now() - 5 * DAY);
    const agent = e2e.agent({ apiKey: API_KEY, licenseKey, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(server.requests).toHaveLength(0);
    expect(agent.status()).toMatchObject({ mode: 'static-jwt', tier: 'Pro', validity: 'grace' });
  });

  it('step 2: a configured JWT that does not verify makes way for the API key fetch', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const agent = e2e.agent({ apiKey: API_KEY, licenseKey: 'not-a-jwt', serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(server.requests.map((request) => request.path)).toEqual(['/api/v1/licenses/token']);
    expect(agent.license()).toMatchObject({ tier: 'Enterprise', licenseId: 'org-bigcorp-456' });
    expect(messages()).toContain('license expired or invalid - using the API key instead (the configured license key does not verify)');
  });

  it('step 3: the cache serves when the fetch fails ("using cached license")', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir, refresh: { interval: '1s' } };
    const first = e2e.agent(options);
    await first.start();
    await first.stop();
    await sleep(1_100);
    server.respondWith(() => ({ status: 503 }));

    const second = e2e.agent(options);
    await second.start();
    await waitForRequests(server, 2, 2_000);
    expect(messages()).toContain('using cached license');
    expect(second.license()).toMatchObject({ tier: 'Pro', licenseId: 'org-acme-123' });
  });

  it('the one deliberate difference: a cache fetched with the same key less than an interval ago stands in for the fetch', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir, refresh: { interval: '1h' } };
    const first = e2e.agent(options);
    await first.start();
    await first.stop();
    server.setApiKey(API_KEY, ENTERPRISE);

    const second = e2e.agent(options);
    await second.start();
    await sleep(200);
    expect(server.requests).toHaveLength(1);
    expect(second.license()).toMatchObject({ tier: 'Pro', licenseId: 'org-acme-123' });
  });

  it('step 3: a cached JWT that no longer verifies is deleted', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const other = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    const first = e2e.agent({ apiKey: API_KEY, serverUrl: other.url, trustedKeys: other.keys.jwks, stateDir });
    await first.start();
    await first.stop();
    expect(await readdir(stateDir)).toContain('license-cache.jwt');
    server.respondWith(() => ({ status: 503 }));

    // Another issuer's key: the cached JWT no longer verifies.
    const second = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir });
    await second.start();
    expect(messages()).toContain('cached license no longer verifies; deleting it');
    expect(await readdir(stateDir)).not.toContain('license-cache.jwt');
    expect(second.license().tier).toBe('Community');
  });

  it('step 4: Community, with "could not fetch license - falling back to Community mode"', async () => {
    const server = await e2e.server({ apiKeys: {} });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Community');
    expect(messages()).toContain('could not fetch license - falling back to Community mode');
  });

  it('step 4: a configured JWT that does not verify, with no API key: "license expired or invalid - running in Community mode"', async () => {
    const server = await e2e.server();
    const agent = e2e.agent({ licenseKey: 'not-a-jwt', trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Community');
    expect(messages()).toContain('license expired or invalid - running in Community mode (the configured license key does not verify)');
  });
});

describe('tier change log lines', () => {
  it('says "license upgraded from Pro to Enterprise" on a refresh, and nothing of the kind at a cold start', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(messages().some((message) => message.startsWith('license upgraded'))).toBe(false);
    server.setApiKey(API_KEY, ENTERPRISE);
    await agent.refreshNow();
    expect(messages()).toContain('license upgraded from Pro to Enterprise');
  });

  it('says "license downgraded from Enterprise to Pro" when a refresh brings a lower tier', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: ENTERPRISE } });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir() });
    await agent.start();
    server.setApiKey(API_KEY, PRO);
    await agent.refreshNow();
    expect(messages()).toContain('license downgraded from Enterprise to Pro');
  });

  it('says "license restored to Pro" when a refresh ends a degradation', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl, validFor: DAY }, Date.now() - 30 * DAY);
    const agent = e2e.agent({ licenseKey, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir(), refresh: { enabled: false } });
    await agent.start();
    expect(agent.license()).toMatchObject({ tier: 'Community', degraded: true });
    server.setRefreshAnswer('reissue');
    await agent.refreshNow();
    expect(agent.license()).toMatchObject({ tier: 'Pro', degraded: false });
    expect(messages()).toContain('license restored to Pro');
  });
});
