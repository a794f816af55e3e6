/**
 * No fragment of a secret leaves the agent. A hostile license server (a real `node:http` server on
 * 127.0.0.1) quotes part of what the agent holds: a prefix, a suffix or the middle of the API key,
 * the key in base64 or base64url, one segment of the license JWT alone. It does so in 401, 403, 500
 * and 429 bodies and in the message of a 200, in both modes. Everything that leaves the agent is
 * read back: the log at trace level, the `softclient4es-license:refresh` and `:state` diagnostics
 * channels, `status()`, the SHOW LICENSE and REFRESH LICENSE rows, and every file of the state dir
 * (the sent ledger included). No run of 8 characters of any secret may be in any of them, and the
 * server's words must still be quoted, with `[redacted]` for the echo.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS, type LicenseAgent } from '../../../src/index.js';
import type { FaultResponse, LicenseServer } from '../../../src/issuer/index.js';
import { nowSeconds, useE2E } from '../../e2e/support/harness.js';
import { INFO } from '../../support/logs.js';
import { expectNoFragment, keyForms, stateDirText } from './support/fragments.js';

const e2e = useE2E();

/** pino's info level: where the agent logs the message of a 200 answer. */
const API_KEY = 'sk-live_7Qm2xK9pL4vN8rT1wZ6bY3cF5hJ0dG2s';
const PRO = { sub: 'lic-fragments', tier: 'Pro', features: ['federation'] } as const;

/** What the agent holds, of which the server quotes a part. */
interface Held {
  readonly apiKey: string;
  readonly jwt: string;
}

const segment = (jwt: string, index: number) => jwt.split('.')[index] as string;
const ECHOES: ReadonlyArray<readonly [string, (held: Held) => string]> = [
  ['a 24-character prefix of the API key', ({ apiKey }) => apiKey.slice(0, 24)],
  ['a suffix of the API key', ({ apiKey }) => apiKey.slice(-12)],
  ['the middle of the API key', ({ apiKey }) => apiKey.slice(10, 30)],
  ['the API key in base64', ({ apiKey }) => Buffer.from(apiKey).toString('base64')],
  ['the API key in base64url', ({ apiKey }) => Buffer.from(apiKey).toString('base64url')],
  ['the middle of the API key in base64url', ({ apiKey }) => Buffer.from(apiKey.slice(7, 31)).toString('base64url')],
  ['the header segment of the JWT alone', ({ jwt }) => segment(jwt, 0)],
  ['the payload segment of the JWT alone', ({ jwt }) => segment(jwt, 1)],
  ['the signature segment of the JWT alone', ({ jwt }) => segment(jwt, 2)],
];

const json = (status: number, body: object, headers: Record<string, string> = {}): FaultResponse =>
  ({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** The refusals, each quoting `echo`, and how the agent must quote them back. */
const REFUSALS: ReadonlyArray<{ readonly answer: (echo: string) => FaultResponse; readonly quoted: string }> = [
  { answer: (echo) => json(401, { message: `unknown API key ${echo}` }), quoted: 'license server rejected the request with HTTP 401: unknown API key [redacted]' },
  { answer: (echo) => ({ status: 403, headers: { 'content-type': 'text/plain' }, body: `forbidden for ${echo}` }), quoted: 'license server answered with unexpected HTTP status 403: forbidden for [redacted]' },
  { answer: (echo) => json(500, { error: `crashed on ${echo}` }), quoted: 'license server answered with unexpected HTTP status 500: crashed on [redacted]' },
  { answer: (echo) => json(429, { message: `slow down, ${echo}` }, { 'retry-after': '1' }), quoted: 'license server answered with unexpected HTTP status 429: slow down, [redacted]' },
];
const notice = (jwt: string, echo: string) => json(200, { jwt, message: `trial ends soon for ${echo}` });

/** Everything published on the agent's diagnostics channels during a test. */
const published: Array<{ channel: string; message: { error?: { message?: string } | null } }> = [];
const listen = (message: unknown, name: string | symbol) => void published.push({ channel: String(name), message: message as never });
beforeEach(() => {
  published.length = 0;
  for (const name of [CHANNELS.refresh, CHANNELS.state]) diagnostics_channel.subscribe(name, listen);
});
afterEach(() => {
  for (const name of [CHANNELS.refresh, CHANNELS.state]) diagnostics_channel.unsubscribe(name, listen);
});

/** Serves `answers` one per request. */
function script(server: LicenseServer, answers: FaultResponse[]): void {
  server.respondWith(() => answers.shift() ?? { status: 503, body: 'no more answers' });
}

/**
 * One REFRESH LICENSE per refusal: each must fail quoting the server, the echo redacted, in its row,
 * in `status()`, on the refresh channel and in the log. Returns what it read, for the scan.
 */
async function throughRefusals(agent: LicenseAgent): Promise<string[]> {
  const seen: string[] = [];
  for (const { quoted } of REFUSALS) {
    const row = await agent.refreshLicense();
    const status = agent.status();
    expect(row).toMatchObject({ status: 'Failed', message: quoted });
    expect(status.lastAttempt?.message).toBe(quoted);
    expect(published.filter((each) => each.channel === CHANNELS.refresh).at(-1)?.message.error?.message).toBe(quoted);
    expect(e2e.logs.lines.some((line) => line.msg.includes(quoted)), `a log line quotes "${quoted}"`).toBe(true);
    seen.push(JSON.stringify(row), JSON.stringify(status), JSON.stringify(agent.showLicense()));
  }
  return seen;
}

/** After the agent stopped (its files flushed): no fragment of `secrets` in anything that left it. */
async function expectNothingLeft(seen: string[], stateDir: string, secrets: string[], licenses: string[]): Promise<void> {
  expectNoFragment(e2e.logs.text(), secrets, 'the log');
  expectNoFragment(JSON.stringify(published), secrets, 'the diagnostics channels');
  expectNoFragment(seen.join('\n'), secrets, 'status()/showLicense()/refreshLicense()');
  expectNoFragment(await stateDirText(stateDir, licenses), secrets, 'the state dir');
  expect(published.some((each) => each.channel === CHANNELS.state), 'the state channel was read').toBe(true);
}

describe('API-key mode, against a server quoting part of the key or of the license JWT', () => {
  it.each(ECHOES)('redacts %s in 401, 403, 500 and 429 bodies and in a 200 message', async (_, echoOf) => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const held = await server.mint({ ...PRO, extra: { serial: 1 } });
    const next = await server.mint({ ...PRO, extra: { serial: 2 } });
    const echo = echoOf({ apiKey: API_KEY, jwt: held });
    script(server, [json(200, { jwt: held }), ...REFUSALS.map(({ answer }) => answer(echo)), notice(next, echo)]);
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    expect(agent.status().licenseId).toBe(PRO.sub);

    const seen = await throughRefusals(agent);
    seen.push(JSON.stringify(await agent.refreshLicense()), JSON.stringify(agent.status()));
    await agent.stop();

    expect(server.requests).toHaveLength(2 + REFUSALS.length);
    expect(e2e.logs.at(INFO).map((line) => line.msg)).toContain('license server: trial ends soon for [redacted]');
    await expectNothingLeft(seen, stateDir, [...keyForms(API_KEY), held, next], [held, next]);
  });
});

describe('static-JWT mode (an API key configured as fallback), against a server quoting part of either', () => {
  async function staticAgent() {
    const server = await e2e.server();
    // Issued a minute ago, so that the re-issue is newer; fresh, so the agent asks nothing at start.
    const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ licenseKey, apiKey: API_KEY, stateDir, trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    return { server, licenseKey, stateDir, agent };
  }

  it.each(ECHOES)('redacts %s in 401, 403, 500 and 429 bodies and in a 200 message', async (_, echoOf) => {
    const { server, licenseKey, stateDir, agent } = await staticAgent();
    const next = await server.mint({ ...PRO, refresh_url: server.refreshUrl });
    const echo = echoOf({ apiKey: API_KEY, jwt: licenseKey });
    script(server, [...REFUSALS.map(({ answer }) => answer(echo)), notice(next, echo)]);
    await agent.start();
    expect(agent.status().mode).toBe('static-jwt');

    const seen = await throughRefusals(agent);
    const upgraded = await agent.refreshLicense();
    seen.push(JSON.stringify(upgraded), JSON.stringify(agent.status()));
    await agent.stop();

    expect(upgraded.status).toBe('Refreshed');
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(Array(REFUSALS.length + 1).fill(`Bearer ${licenseKey}`));
    await expectNothingLeft(seen, stateDir, [...keyForms(API_KEY), licenseKey, next], [next]);
  });

  it('redacts the configured license key and the upgraded JWT it now sends as Bearer, each quoted alone', async () => {
    const { server, licenseKey, stateDir, agent } = await staticAgent();
    const upgrade = await server.mint({ ...PRO, refresh_url: server.refreshUrl });
    script(server, [
      json(200, { jwt: upgrade }),
      json(401, { message: `license ${segment(licenseKey, 2)} revoked` }),
      json(401, { message: `license ${segment(upgrade, 2)} revoked` }),
    ]);
    await agent.start();

    const rows = [await agent.refreshLicense(), await agent.refreshLicense(), await agent.refreshLicense()];
    await agent.stop();

    expect(server.requests.slice(1).map((request) => request.headers.authorization)).toEqual([`Bearer ${upgrade}`, `Bearer ${upgrade}`]);
    expect(rows.map((row) => row.message)).toEqual(['', ...Array(2).fill('license server rejected the request with HTTP 401: license [redacted] revoked')]);
    await expectNothingLeft(rows.map((row) => JSON.stringify(row)), stateDir, [licenseKey, upgrade], [upgrade]);
  });
});

describe("a refused token that quotes part of the key in its own header (kid)", () => {
  it('cuts the fragment out of the verifier\'s refusal too: status, row and log', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    // A kid the verifier quotes (short and printable), filled with a 24-character prefix of the key.
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ iss: 'https://license.softclient4es.com', sub: PRO.sub, tier: 'Enterprise', iat: nowSeconds() })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: API_KEY.slice(0, 24) })
      .sign(server.keys.privateKey);
    server.respondWith(() => json(200, { jwt: forged }));

    const row = await agent.refreshLicense();

    expect(agent.status().lastAttempt?.message).toBe('license is signed by an unknown key id: [redacted]');
    const seen = JSON.stringify([row, agent.status(), e2e.logs.text()]);
    expectNoFragment(seen, keyForms(API_KEY), 'the refusal of a token whose kid quotes the key');
  });
});
