/**
 * Conformance, the token endpoint: the agent fetches its license from a server that speaks only
 * SoftClient4ES's `POST /api/v1/licenses/token` with `Authorization: Bearer sk-...` (anything else
 * is a 404), and reads its answers as SoftClient4ES's `ApiKeyClient` reads them. Each test restates
 * one behaviour of its `ApiKeyClientSpec`, against a real `node:http` server on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { UUID_V4, useE2E } from '../e2e/support/harness.js';
import { ApiKeyClient, LicenseConfigError, type LicenseAgent } from '../../src/index.js';
import { ERROR, INFO } from '../support/logs.js';
import { TEST_JWKS } from './fixtures/softclient4es-test-key.js';
import { proClaims, signWithTestKey } from './support/softclient4es-tokens.js';
import { jsonBody, TOKEN_PATH, useTokenServers, type Answer, type TokenServer } from './support/token-server.js';

const tokenServer = useTokenServers();
const e2e = useE2E();

const API_KEY = 'sk-conformance_4f9a1c2e7b';

async function proAnswer(): Promise<Answer> {
  return { status: 200, body: { jwt: await signWithTestKey(proClaims()) } };
}

/** A started API-key agent that trusts SoftClient4ES's test key and fetches from `server`. */
async function agentOf(server: TokenServer, serverUrl = server.url): Promise<LicenseAgent> {
  const agent = e2e.agent({
    apiKey: API_KEY,
    serverUrl,
    trustedKeys: TEST_JWKS,
    stateDir: await e2e.tempDir(),
    refresh: { interval: '24h' },
  });
  await agent.start();
  return agent;
}

/** Runs `fetchJwt` with a fresh client and closes it. */
async function fetchJwtFrom(server: TokenServer, apiKey = API_KEY): Promise<string> {
  const client = new ApiKeyClient({ serverUrl: server.url });
  try {
    return await client.fetchJwt(apiKey);
  } finally {
    await client.close();
  }
}

describe('conformance: the token endpoint, as SoftClient4ES serves it', () => {
  it('fetches a Pro license from a server that speaks only POST /api/v1/licenses/token, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    const agent = await agentOf(server);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: TOKEN_PATH });
    expect(agent.license().tier).toBe('Pro');
    expect(agent.license().licenseId).toBe('org-acme-123');
    expect(agent.quota('max_query_results')).toBe(1_000_000);
    expect(agent.status().mode).toBe('api-key');
  });

  it('posts to /api/v1/licenses/token under a base URL given with a trailing slash, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    const agent = await agentOf(server, `${server.url}/`);
    expect(server.requests[0]?.path).toBe(TOKEN_PATH);
    expect(agent.license().tier).toBe('Pro');
  });

  it('sends the header Authorization: Bearer sk-... exactly, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    await agentOf(server);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('sends Content-Type and Accept application/json, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    await agentOf(server);
    const headers = server.requests[0]?.headers;
    expect(headers?.['content-type']).toMatch(/^application\/json\b/);
    expect(headers?.accept).toMatch(/\bapplication\/json\b/);
  });

  it('sends instance_id and version in the body, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    const agent = await agentOf(server);
    const body = jsonBody(server.requests[0]!);
    expect(body['instance_id']).toMatch(UUID_V4);
    expect(body['instance_id']).toBe(agent.status().instanceId);
    expect(body['version']).toBe('1.2.3');
  });

  it.each(['ak-live_4f9a1c2e7b', 'sk-', 'SK-4f9a1c2e7b', 'sk_4f9a1c2e7b', '4f9a1c2e7b'])(
    'refuses the API key %j before any request ("invalid API key format"), as ApiKeyClient does',
    async (apiKey) => {
      const server = await tokenServer(proAnswer);
      let thrown: unknown;
      try {
        e2e.agent({ apiKey, serverUrl: server.url, trustedKeys: TEST_JWKS, stateDir: await e2e.tempDir() });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(LicenseConfigError);
      expect((thrown as LicenseConfigError).option).toBe('apiKey');
      expect((thrown as Error).message).toContain('invalid API key format');
      expect(server.requests).toHaveLength(0);
    },
  );

  it('refuses a malformed key in fetchJwt before any request, as ApiKeyClient does', async () => {
    const server = await tokenServer(proAnswer);
    await expect(fetchJwtFrom(server, 'ak-live_4f9a1c2e7b')).rejects.toThrow(/invalid API key format/);
    await expect(fetchJwtFrom(server, 'sk-')).rejects.toThrow(/invalid API key format/);
    expect(server.requests).toHaveLength(0);
  });

  it('returns the jwt of a 200 answer, as ApiKeyClient.fetchJwt does', async () => {
    const jwt = await signWithTestKey(proClaims());
    const server = await tokenServer(() => ({ status: 200, body: { jwt } }));
    await expect(fetchJwtFrom(server)).resolves.toBe(jwt);
  });

  it.each([
    ['no jwt', { message: 'ok' }],
    ['a null jwt', { jwt: null }],
    ['a jwt that is not a string', { jwt: 42 }],
  ])('fails on a 200 answer with %s, as ApiKeyClient does', async (_what, body) => {
    const server = await tokenServer(() => ({ status: 200, body }));
    await expect(fetchJwtFrom(server)).rejects.toThrow();
    const agent = await agentOf(server);
    expect(agent.license().tier).toBe('Community');
  });

  it('logs the message of a 200 answer at info, as ApiKeyClient does', async () => {
    const message = 'Your trial ends in 5 days. Upgrade at https://portal.softclient4es.com';
    const server = await tokenServer(async () => ({ status: 200, body: { jwt: await signWithTestKey(proClaims()), message } }));
    const agent = await agentOf(server);
    expect(agent.license().tier).toBe('Pro');
    expect(e2e.logs.at(INFO).some((line) => line.msg.includes(message))).toBe(true);
  });

  it("logs a 401's message at error, as ApiKeyClient does", async () => {
    const server = await tokenServer(() => ({ status: 401, body: { message: 'Invalid or revoked API key' } }));
    const agent = await agentOf(server);
    expect(agent.license().tier).toBe('Community');
    const errors = e2e.logs.at(ERROR).map((line) => `${line.msg} ${(line['err'] as { message?: string } | undefined)?.message ?? ''}`);
    expect(errors.some((text) => text.includes('Invalid or revoked API key'))).toBe(true);
  });

  it('never writes the API key to a log line, even when the 401 echoes it, as ApiKeyClient does', async () => {
    const server = await tokenServer((_request, key) => ({ status: 401, body: { message: `API key ${key} is revoked` } }));
    await agentOf(server);
    expect(e2e.logs.at(ERROR).length).toBeGreaterThan(0);
    expect(e2e.logs.text()).not.toContain(API_KEY);
    expect(e2e.logs.text()).not.toContain(API_KEY.slice(3));
  });

  it('fails a 401 from fetchJwt with the server message, as ApiKeyClient does', async () => {
    const server = await tokenServer(() => ({ status: 401, body: { message: 'Invalid or revoked API key' } }));
    await expect(fetchJwtFrom(server)).rejects.toThrow(/Invalid or revoked API key/);
  });

  it.each([403, 429, 500, 503])('says "unexpected HTTP status %i" for any status but 200 and 401, as ApiKeyClient does', async (status) => {
    const server = await tokenServer(() => ({ status, body: { message: 'nope' } }));
    await expect(fetchJwtFrom(server)).rejects.toThrow(`unexpected HTTP status ${status}`);
    const agent = await agentOf(server);
    expect(agent.license().tier).toBe('Community');
    expect(agent.status().lastError).toContain(`unexpected HTTP status ${status}`);
  });

  it.each([301, 302, 307, 308])('does not follow a %i redirect, as ApiKeyClient does', async (status) => {
    const target = await tokenServer(proAnswer);
    const server = await tokenServer(() => ({ status, headers: { location: `${target.url}${TOKEN_PATH}` } }));
    await expect(fetchJwtFrom(server)).rejects.toThrow(`unexpected HTTP status ${status}`);
    const agent = await agentOf(server);
    expect(agent.license().tier).toBe('Community');
    expect(agent.status().lastError).toContain(`unexpected HTTP status ${status}`);
    expect(target.requests).toHaveLength(0);
  });
});
