/**
 * No API key, no JWT and no Authorization value in any log line at any level, nor in what the agent
 * returns or throws. A representative matrix of real agent runs (both modes, successes, rejections
 * that echo the credentials, outages, answers that fail verification, restarts on a cache, network
 * failures), each logging at trace level into memory; a tap between agent and server records every
 * credential sent and every JWT received, so the test knows each secret it must not find. The
 * agent's default logger (pino to stderr) is checked in a child process. And a failed exchange is
 * logged as its cause only: code, message and status.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyClient, createLicenseAgent, type LicenseAgent } from '../../../src/index.js';
import { REFRESH_PATH, generateIssuerKeys, mintLicense, type LicenseServerOptions, type RecordedRequest } from '../../../src/issuer/index.js';
import { nowSeconds, readCache, unusedPort, useE2E } from '../../e2e/support/harness.js';
import { INFO, WARN } from '../../support/logs.js';
import { startFront, type Front } from '../soak/support/front.js';
import { SecretBook, expectNoSecret } from './support/secrets.js';

const fronts: Front[] = [];
// Registered before useE2E's hooks, so that it runs after them: the agents stop first.
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((front) => front.close()));
});
const e2e = useE2E();

/** pino's info level: where the agent logs the message of a 200 answer. */
const API_KEY = 'sk-live_4f9c2e7a1b8d6e3f0a5c9b2d7e1f4a8c';
const PRO = { sub: 'lic-secret', tier: 'Pro', features: ['federation'] } as const;
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'default-logger-run.ts');

/** A reference server behind a tap; agents talk to the tap. */
async function tappedServer(options: LicenseServerOptions = {}) {
  const server = await e2e.server(options);
  const front = await startFront({ target: server.url, now: Date.now });
  fronts.push(front);
  return { server, front, refreshUrl: `${front.url}${REFRESH_PATH}` };
}

const jwtAnswer = (jwt: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) });
const credentialsOf = (request: RecordedRequest) => (request.headers.authorization ?? '').replace(/^\S+\s+/, '');

/** Everything the agent tells its embedder, as text: status, SHOW LICENSE, license, telemetry preview, inspection. */
function viewsOf(agent: LicenseAgent): string {
  return [
    JSON.stringify(agent.status()),
    JSON.stringify(agent.showLicense()),
    JSON.stringify(agent.license()),
    JSON.stringify(agent.previewTelemetry()),
    inspect(agent, { depth: 6 }),
  ].join('\n');
}

/** Runs `answers` one per refreshNow() after start-up, collecting what each returned. */
async function refreshThrough(agent: LicenseAgent, count: number): Promise<string> {
  const results: unknown[] = [];
  for (let i = 0; i < count; i++) results.push(await agent.refreshNow());
  results.push(await agent.refreshLicense());
  return JSON.stringify(results);
}

function expectCleanEverywhere(agent: LicenseAgent, book: SecretBook, results: string): void {
  expectNoSecret(e2e.logs.text(), book, 'the log');
  expectNoSecret(results, book, 'refreshNow()/refreshLicense() results');
  expectNoSecret(viewsOf(agent), book, 'status()/showLicense()/license()/inspect');
}

describe('API-key mode', () => {
  async function apiKeyAgent() {
    const tapped = await tappedServer({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: tapped.front.url, stateDir, trustedKeys: tapped.server.keys.jwks, refresh: { interval: '24h' } });
    return { ...tapped, stateDir, agent };
  }

  it('logs no secret through a fetch, a refreshNow and a REFRESH LICENSE that succeed', async () => {
    const { front, stateDir, agent } = await apiKeyAgent();
    await agent.start();

    const results = await refreshThrough(agent, 1);

    expect(front.exchanges.map((exchange) => exchange.status)).toEqual([200, 200, 200]);
    const book = new SecretBook().add(API_KEY, (await readCache(stateDir))?.jwt).addExchanges(front.exchanges);
    expectCleanEverywhere(agent, book, results);
  });

  it('logs no secret when the server rejects the key and echoes it, in JSON and in plain text', async () => {
    const { server, front, agent } = await apiKeyAgent();
    let answers = 0;
    server.respondWith((request) =>
      answers++ % 2 === 0
        ? { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `unknown API key ${credentialsOf(request)}` }) }
        : { status: 403, headers: { 'content-type': 'text/plain' }, body: `forbidden: ${request.headers.authorization}` });
    await agent.start();

    const results = await refreshThrough(agent, 2);

    expect(e2e.logs.text()).toContain('license server rejected the request with HTTP 401: unknown API key [redacted]');
    expect(e2e.logs.text()).toContain('license server answered with unexpected HTTP status 403: forbidden: Bearer [redacted]');
    expectCleanEverywhere(agent, new SecretBook().add(API_KEY).addExchanges(front.exchanges), results);
  });

  it('logs no secret when a 503 with Retry-After echoes the Authorization header', async () => {
    const { server, front, agent } = await apiKeyAgent();
    server.respondWith((request) => ({
      status: 503,
      headers: { 'retry-after': '120', 'content-type': 'application/json' },
      body: JSON.stringify({ message: `overloaded; you sent ${request.headers.authorization} with ${request.rawBody}` }),
    }));
    await agent.start();

    const results = await refreshThrough(agent, 1);

    expect(e2e.logs.text()).toContain('license server answered with unexpected HTTP status 503: overloaded');
    expectCleanEverywhere(agent, new SecretBook().add(API_KEY).addExchanges(front.exchanges), results);
  });

  it('logs no secret when a 200 answer carries a message that echoes the key and the token', async () => {
    const { server, front, stateDir, agent } = await apiKeyAgent();
    await agent.start();
    const fresh = await server.mint(PRO);
    server.respondWith((request) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jwt: fresh, message: `trial ends soon for ${credentialsOf(request)}; your token is ${fresh}` }),
    }));

    const results = await refreshThrough(agent, 1);

    const notices = e2e.logs.at(INFO).filter((line) => line.msg.startsWith('license server: trial ends soon'));
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices[0]!.msg).toBe('license server: trial ends soon for [redacted]; your token is [redacted]');
    const book = new SecretBook().add(API_KEY, fresh, (await readCache(stateDir))?.jwt).addExchanges(front.exchanges);
    expectCleanEverywhere(agent, book, results);
  });

  it('logs no secret when answers fail verification: a forged signature, an expired token, a body that is not JSON', async () => {
    const { server, front, stateDir, agent } = await apiKeyAgent();
    await agent.start();
    const stranger = await generateIssuerKeys(server.keys.kid);
    const forged = await mintLicense(stranger, PRO, { now: Date.now() });
    const expired = await server.mint({ ...PRO, validFor: 60_000 }, Date.now() - 3_600_000);
    const answers = [
      jwtAnswer(forged),
      jwtAnswer(expired),
      { status: 200, headers: { 'content-type': 'text/plain' }, body: `jwt=${forged}; key=${API_KEY}` },
      { status: 200, headers: { 'content-type': 'application/json' }, body: `{"jwt": "${expired}", "key": "${API_KEY}"` },
    ];
    server.respondWith(() => answers.shift());

    const results = await refreshThrough(agent, 4);

    expect(e2e.logs.at(WARN).filter((line) => line.msg.startsWith('license refresh failed'))).toHaveLength(4);
    const book = new SecretBook().add(API_KEY, forged, expired, (await readCache(stateDir))?.jwt).addExchanges(front.exchanges);
    expectCleanEverywhere(agent, book, results);
  });

  it('logs no secret when it restarts on its cached license and refreshes it', async () => {
    const { server, front, stateDir, agent } = await apiKeyAgent();
    await agent.start();
    const cached = (await readCache(stateDir))?.jwt;
    await agent.stop();
    const restarted = e2e.agent({ apiKey: API_KEY, serverUrl: front.url, stateDir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });

    await restarted.start();
    const results = await refreshThrough(restarted, 1);

    expect(restarted.status().licenseId).toBe(PRO.sub);
    const book = new SecretBook().add(API_KEY, cached, (await readCache(stateDir))?.jwt).addExchanges(front.exchanges);
    expectCleanEverywhere(restarted, book, results);
  });
});

describe('static-JWT mode', () => {
  async function staticAgent() {
    const tapped = await tappedServer();
    // Issued a minute ago, so that every re-issue is a different token. Fresh, so the agent asks
    // nothing at start: its first scheduled refresh is one interval (24 h) after iat.
    const licenseKey = await tapped.server.mint({ ...PRO, refresh_url: tapped.refreshUrl, iat: nowSeconds() - 60 });
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ licenseKey, refreshOrigins: [tapped.front.url], stateDir, trustedKeys: tapped.server.keys.jwks, refresh: { interval: '24h' } });
    return { ...tapped, licenseKey, stateDir, agent };
  }

  it('logs no secret through refreshes that succeed, REFRESH LICENSE included', async () => {
    const { front, licenseKey, stateDir, agent } = await staticAgent();
    await agent.start();
    expect(front.exchanges).toEqual([]);

    const results = await refreshThrough(agent, 1);

    expect(front.exchanges.map((exchange) => exchange.status)).toEqual([200, 200]);
    const book = new SecretBook().add(licenseKey, (await readCache(stateDir))?.jwt).addExchanges(front.exchanges);
    expectCleanEverywhere(agent, book, results);
  });

  it('logs no secret when the refresh endpoint echoes the bearer in a 401 and a 500', async () => {
    const { server, front, licenseKey, agent } = await staticAgent();
    let answers = 0;
    server.respondWith((request) =>
      answers++ % 2 === 0
        ? { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `license ${credentialsOf(request)} revoked` }) }
        : { status: 500, body: `crashed on ${request.headers.authorization}` });
    await agent.start();
    expect(front.exchanges).toEqual([]);

    const results = await refreshThrough(agent, 2);

    expect(front.exchanges.map((exchange) => exchange.status)).toEqual([401, 500, 401]);
    expect(e2e.logs.text()).toContain('license server rejected the request with HTTP 401: license [redacted] revoked');
    expect(e2e.logs.text()).toContain('license server answered with unexpected HTTP status 500: crashed on Bearer [redacted]');
    expectCleanEverywhere(agent, new SecretBook().add(licenseKey).addExchanges(front.exchanges), results);
  });

  it('logs no secret when refreshed licenses are refused: another sub, an older iat, a forged signature, alg none', async () => {
    const { server, front, licenseKey, refreshUrl, agent } = await staticAgent();
    const stranger = await generateIssuerKeys(server.keys.kid);
    const otherSub = await server.mint({ ...PRO, sub: 'lic-other', refresh_url: refreshUrl });
    const older = await server.mint({ ...PRO, refresh_url: refreshUrl, iat: nowSeconds() - 3_600 });
    const forged = await mintLicense(stranger, { ...PRO, refresh_url: refreshUrl }, { now: Date.now() });
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forged.split('.')[1]}.${forged.split('.')[2]}`;
    const answers = [otherSub, older, forged, unsigned].map(jwtAnswer);
    server.respondWith(() => answers.shift());
    await agent.start();
    expect(front.exchanges).toEqual([]);

    const results = await refreshThrough(agent, 3);

    // All four refused answers were served, one per refreshNow()/refreshLicense().
    expect(front.exchanges.map((exchange) => exchange.status)).toEqual([200, 200, 200, 200]);
    expect(agent.status().licenseId).toBe(PRO.sub);
    const book = new SecretBook().add(licenseKey, otherSub, older, forged, unsigned).addExchanges(front.exchanges);
    expectCleanEverywhere(agent, book, results);
  });

  it('logs no secret when the configured license does not verify', async () => {
    const { server } = await staticAgent();
    const stranger = await generateIssuerKeys();
    const licenseKey = await mintLicense(stranger, { ...PRO, refresh_url: server.refreshUrl }, { now: Date.now() });
    const agent = e2e.agent({ licenseKey, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks });

    await agent.start();
    const results = await refreshThrough(agent, 1);

    expect(e2e.logs.text()).toContain('license expired or invalid - running in Community mode (the configured license key does not verify)');
    expectCleanEverywhere(agent, new SecretBook().add(licenseKey), results);
  });
});

describe('a failed exchange in the log', () => {
  /** The `err` of every refresh-failure record after a refused connection, a read timeout and a 503. */
  async function failureRecords() {
    const port = await unusedPort();
    const stalling = await e2e.stallingServer();
    const { server, front } = await tappedServer({ apiKeys: { [API_KEY]: PRO } });
    server.respondWith(() => ({ status: 503, headers: { 'retry-after': '60' }, body: 'down' }));
    for (const serverUrl of [`http://127.0.0.1:${port}`, stalling.url, front.url]) {
      const agent = e2e.agent({ apiKey: API_KEY, serverUrl, stateDir: await e2e.tempDir(), refresh: { interval: '24h' }, readTimeout: '300ms' });
      await agent.start();
    }
    const records = e2e.logs.at(WARN).filter((line) => line.msg.startsWith('license refresh failed'));
    expect(records.map((line) => (line['err'] as { message: string }).message).join('\n')).toMatch(/connection refused[\s\S]*read timeout[\s\S]*unexpected HTTP status 503/);
    return records.map((line) => line['err'] as Record<string, unknown>);
  }

  it('carries no stack trace, no cause and no headers', async () => {
    const errs = await failureRecords();

    for (const err of errs) {
      expect(err['stack'] ?? '').toBe('');
      expect(err).not.toHaveProperty('cause');
      expect(err).not.toHaveProperty('headers');
      expect(JSON.stringify(err)).not.toMatch(/authorization|undici|node:internal| {4}at /i);
    }
  });

  it('is reduced to its code, message and status, and nothing else', async () => {
    const errs = await failureRecords();

    for (const err of errs) {
      expect(Object.keys(err).every((key) => ['code', 'message', 'status'].includes(key)), `err has ${Object.keys(err).join(', ')}`).toBe(true);
    }
    expect(errs[2]).toMatchObject({ code: 'ERR_LICENSE_HTTP', status: 503 });
  });
});

describe('errors thrown to the embedder', () => {
  it('carry no secret when the token endpoint echoes the API key', async () => {
    const { server, front } = await tappedServer();
    server.respondWith((request) => ({ status: 401, body: `bad key: ${request.headers.authorization}` }));
    const client = new ApiKeyClient({ serverUrl: front.url, readTimeoutMs: 2_000 });

    const error = await client.fetchJwt(API_KEY).then(() => undefined, (thrown: unknown) => thrown);
    await client.close();

    expect(error).toBeInstanceOf(Error);
    const book = new SecretBook().add(API_KEY).addExchanges(front.exchanges);
    expectNoSecret([String(error), (error as Error).message, inspect(error, { depth: 6 })].join('\n'), book, 'the thrown error');
  });

  it('carry no secret when an unreachable server fails the call', async () => {
    const client = new ApiKeyClient({ serverUrl: `http://127.0.0.1:${await unusedPort()}`, readTimeoutMs: 2_000 });

    const error = await client.fetchJwt(API_KEY).then(() => undefined, (thrown: unknown) => thrown);
    await client.close();

    expect((error as { code?: unknown }).code).toBe('ERR_LICENSE_NETWORK');
    expectNoSecret([String(error), inspect(error, { depth: 6 })].join('\n'), new SecretBook().add(API_KEY), 'the thrown error');
  });

  it('carry no secret when the options are wrong', () => {
    const thrown: unknown[] = [];
    const attempts = [
      { apiKey: API_KEY, apikey: API_KEY },
      { apiKey: API_KEY, serverUrl: `https://user:${API_KEY}@license.example.com` },
      { licenseKey: `${API_KEY}.${API_KEY}.${API_KEY}`, trustedKeys: API_KEY },
      { apiKey: API_KEY, licenseKey: API_KEY, telemetry: { enabled: API_KEY } },
    ];
    for (const options of attempts) {
      try {
        createLicenseAgent({ version: '1.0.0', env: {}, ...(options as object) });
      } catch (error) {
        thrown.push(error);
      }
    }

    expect(thrown).toHaveLength(attempts.length);
    expectNoSecret(thrown.map((error) => `${String(error)}\n${inspect(error)}`).join('\n'), new SecretBook().add(API_KEY), 'the config errors');
  });
});

describe('the default logger (pino to stderr), in a child process', () => {
  it('writes no secret to stderr through successes and failures in both modes', async () => {
    const stateDir = await e2e.tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);

    expect(code, stderr.slice(-2_000)).toBe(0);
    const { secrets } = JSON.parse(stdout) as { secrets: string[] };
    const logLines = stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(5);
    expect(stderr).toContain('license refresh rejected: license server rejected the request with HTTP 401: unknown key [redacted]');
    expect(stderr).toContain('license refresh rejected: license server rejected the request with HTTP 401: revoked: Bearer [redacted]');
    expect(stderr).toContain('license server answered with unexpected HTTP status 503: down; saw Bearer [redacted]');
    expectNoSecret(stderr, new SecretBook().add(...secrets), 'stderr');
  }, 40_000);
});
