/**
 * Never log the API key or a JWT: after runs with successes and failures of every kind, the full
 * captured log text (trace level) contains neither the key nor any JWT the server issued, nor the
 * signature of one.
 */
import { describe, expect, it } from 'vitest';
import { credentials, nowSeconds, readCache, useE2E, waitFor, waitForRequests } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_secret_never_logged_5f0e9d';

function expectNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    const signature = secret.split('.')[2];
    if (signature) expect(text).not.toContain(signature);
  }
}

describe('secrets in logs', () => {
  it('never logs the API key or an issued JWT in API-key mode, through successes and failures', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
    // Every answer is a JWT minted here, so that the test knows each one the agent received.
    const issued: string[] = [];
    for (let i = 0; i < 12; i++) issued.push(await server.mint({ sub: 'lic-pro', tier: 'Pro', extra: { serial: i } }));
    let answers = 0;
    let failing = false;
    server.respondWith(() => {
      if (failing) return { status: 503, body: 'unavailable' };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt: issued[answers++ % issued.length] }) };
    });
    const dir = await e2e.tempDir();
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, refresh: { interval: '200ms' }, random: () => 0,
    });
    await agent.start();
    await waitForRequests(server, 3, 3_000);
    failing = true;
    await waitFor(() => e2e.logs.refreshFailures().length >= 2, 3_000, 'two failures');
    failing = false;
    const after = server.requests.length;
    await waitForRequests(server, after + 2, 3_000);
    await agent.refreshNow();
    await agent.stop();

    expect(answers).toBeGreaterThanOrEqual(4);
    const cache = await readCache(dir);
    expectNoSecret(e2e.logs.text(), [API_KEY, ...issued.slice(0, answers), cache!.jwt]);
    expect(e2e.logs.text()).toContain('license refresh failed');
  });

  it('never logs the configured or a re-issued JWT in static-JWT mode, through successes and failures', async () => {
    const server = await e2e.server();
    // Issued a minute ago, so that every re-issue is a different JWT.
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
    let failing = false;
    server.respondWith(() => (failing ? { status: 500, body: 'boom' } : undefined));
    const agent = e2e.agent({
      licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '200ms' }, random: () => 0,
    });
    await agent.start();
    await waitForRequests(server, 2, 3_000);
    failing = true;
    await waitFor(() => e2e.logs.refreshFailures().length >= 2, 3_000, 'two failures');
    failing = false;
    const after = server.requests.length;
    await waitForRequests(server, after + 2, 3_000);
    await agent.stop();

    // Each bearer is the JWT the agent held: the configured one, then every re-issue.
    const bearers = server.requests.map((request) => credentials(request, 'Bearer') as string);
    expect(new Set(bearers).size).toBeGreaterThanOrEqual(2);
    expectNoSecret(e2e.logs.text(), [licenseKey, ...bearers]);
  });

  it('never logs the API key when the server echoes it in an error answer', async () => {
    const server = await e2e.server();
    server.respondWith((request) => ({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: `unknown API key ${credentials(request, 'Bearer') ?? ''}` }),
    }));
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' },
    });
    await agent.start();
    const result = await agent.refreshNow();
    await agent.stop();
    expect(result.status).toBe('failed');
    expect(result.message).not.toContain(API_KEY);
    expect(agent.status().lastError ?? '').not.toContain(API_KEY);
    expect(e2e.logs.text()).toContain('401');
    expectNoSecret(e2e.logs.text(), [API_KEY]);
  });

  it('never logs the bearer JWT when the refresh endpoint echoes it in an error answer', async () => {
    const server = await e2e.server();
    server.respondWith((request) => ({ status: 400, body: `bad token ${credentials(request, 'Bearer') ?? ''}` }));
    const licenseKey = await server.mint({ sub: 'lic-static', tier: 'Pro', refresh_url: server.refreshUrl });
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    const result = await agent.refreshNow();
    await agent.stop();
    expect(result.status).toBe('failed');
    // Even a prefix of the token (its header and claims) has no business in a log line.
    const [header, payload] = licenseKey.split('.');
    expect(e2e.logs.text()).not.toContain(`${header}.${payload!.slice(0, 16)}`);
    expect(result.message).not.toContain(header);
  });

  it('never logs a configured JWT that fails verification', async () => {
    const server = await e2e.server();
    const other = await e2e.server();
    const licenseKey = await other.mint({ sub: 'lic-untrusted', tier: 'Pro' });
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks });
    await agent.start();
    await agent.stop();
    expect(e2e.logs.text()).toContain('does not verify');
    expectNoSecret(e2e.logs.text(), [licenseKey]);
  });
});
