/**
 * Proxy faults name the proxy. Through a real CONNECT proxy on 127.0.0.1 (see support/proxy.ts), to
 * a license host on `.test` that only the proxy's tunnel reaches: a refused tunnel (403), a proxy
 * asking for credentials (407), a proxy that is down or never answers, or that hangs up. Each warns
 * naming the proxy (`host:port`, never its credentials) and the status it gave, keeps the license
 * and keeps one attempt per tick; a fault of the license server behind the tunnel stays the license
 * server's.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LicenseNetworkError } from '../../../src/errors.js';
import { createHttpClient } from '../../../src/net/http.js';
import { unusedPort, waitFor } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import {
  API_KEY,
  expectLicenseKept,
  expectNextRegularTick,
  expectOnePerTick,
  INTERVAL_MS,
  LICENSE,
  MODES,
  refreshWarnings,
  useNetworkFaults,
  type Mode,
} from './support/faults.js';
import { startTestProxy, type ProxyBehaviour, type TestProxy } from './support/proxy.js';
import { startHttpsIssuer } from './support/servers.js';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from './support/tls.js';

const faults = useNetworkFaults();

/** Resolves nowhere: only the test proxy's tunnel, which always goes to 127.0.0.1, reaches it. */
const LICENSE_HOST = 'license.softclient4es.test';
const ENDPOINT = `https://${LICENSE_HOST}`;
const USER = 'proxy-user-7f3a';
const PASSWORD = 'pr0xy-pa55-9c1e';

let certificate: SelfSignedCertificate;
beforeAll(async () => {
  certificate = await makeSelfSignedCertificate([LICENSE_HOST]);
});
afterAll(() => certificate.remove());

/** The credentials in every form they could leak in: as typed, and as a Proxy-Authorization value. */
function guardCredentials(): readonly string[] {
  const forms = [USER, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];
  for (const form of forms) faults.secret(form);
  return forms;
}

/** The reference issuer over HTTPS as the license host, and a proxy whose tunnels lead to it. */
async function licenseHostBehind(behaviour: ProxyBehaviour, credentials?: string) {
  const issuer = await faults.referenceServer();
  const https = faults.own(await startHttpsIssuer({ ...certificate, issuer, apiKeys: { [API_KEY]: LICENSE } }));
  const proxy = faults.own(await startTestProxy({ behaviour, tunnelTo: Number(new URL(https.url).port), credentials }));
  return { issuer, https, proxy };
}

async function agentBehind(mode: Mode, behaviour: ProxyBehaviour, options: { proxyUrl?: (proxy: TestProxy) => string; connectTimeout?: string } = {}) {
  const { issuer, https, proxy } = await licenseHostBehind(behaviour);
  const { agent, license } = await faults.licensedAgent({
    mode, endpoint: ENDPOINT, issuer,
    options: {
      ca: certificate.cert,
      proxy: options.proxyUrl?.(proxy) ?? proxy.url,
      ...(options.connectTimeout ? { connectTimeout: options.connectTimeout, readTimeout: '10s' } : {}),
    },
  });
  return { agent, license, proxy, https };
}

describe.each(MODES)('in %s mode', (mode) => {
  it('warns that the proxy refused the tunnel with HTTP 403, naming the proxy and the license host, and keeps one attempt per tick', async () => {
    const { agent, license, proxy, https } = await agentBehind(mode, { kind: 'refuse', status: 403 });
    const warnings = await refreshWarnings(faults, 2, 4_000);

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} refused the tunnel to ${LICENSE_HOST}:443 with HTTP 403`);
    expect(warnings[0]!.msg).not.toContain('license server');
    expect(proxy.connects[0]!.target).toBe(`${LICENSE_HOST}:443`);
    expect(https.requests).toEqual([]);
    expectLicenseKept(agent, license);
    await expectNextRegularTick(agent, INTERVAL_MS);
    expectOnePerTick(warnings.map((line) => line.time), INTERVAL_MS);
    expect(proxy.connects.length).toBeLessThanOrEqual(faults.logs.refreshFailures().length + 1);
  });

  it('warns that the proxy asks for authentication (HTTP 407) when its URL carries no credentials', async () => {
    const { agent, license, proxy } = await agentBehind(mode, { kind: 'authenticate' });
    const warnings = await refreshWarnings(faults, 1, 3_000);

    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} asks for authentication (HTTP 407)`);
    expect(proxy.connects[0]!.proxyAuthorization).toBeUndefined();
    expectLicenseKept(agent, license);
    await expectNextRegularTick(agent, INTERVAL_MS);
  });

  it('warns that the proxy is unreachable (connection refused) when nothing listens on its port, not the license server', async () => {
    const port = await unusedPort();
    const issuer = await faults.referenceServer();
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: ENDPOINT, issuer, options: { proxy: `http://127.0.0.1:${port}` } });
    const warnings = await refreshWarnings(faults, 2, 4_000);

    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${port} unreachable: connection refused`);
    expect(warnings[0]!.msg).not.toContain(LICENSE_HOST);
    expectLicenseKept(agent, license);
    await expectNextRegularTick(agent, INTERVAL_MS);
    expectOnePerTick(warnings.map((line) => line.time), INTERVAL_MS);
  });

  it('gives up on a proxy that never answers CONNECT after the connect timeout, naming the proxy', async () => {
    const { agent, license, proxy } = await agentBehind(mode, { kind: 'hang' }, { connectTimeout: '250ms' });
    const warnings = await refreshWarnings(faults, 1, 4_000);
    await expectNextRegularTick(agent, INTERVAL_MS);

    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} did not answer: connect timeout`);
    expectLicenseKept(agent, license);
    // Cut by the agent after the connect timeout (undici's timer is coarse: up to a second late),
    // not after the 10 s read timeout, nor undici's own 300 s for a CONNECT.
    const [first] = proxy.connects;
    await waitFor(() => first!.closedAt, 1_000, 'the connection to the proxy to close');
    expect(first!.closedAt! - first!.at).toBeGreaterThanOrEqual(240);
    expect(first!.closedAt! - first!.at).toBeLessThan(1_600);
  });
});

describe('through a proxy (api-key mode)', () => {
  it('fails once per tick, naming the proxy, when the proxy hangs up on CONNECT, instead of reconnecting without end', async () => {
    const { agent, license, proxy } = await agentBehind('api-key', { kind: 'hang-up' });
    const warnings = await refreshWarnings(faults, 2, 4_000);

    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} closed the connection without answering CONNECT ${LICENSE_HOST}:443`);
    expectLicenseKept(agent, license);
    expectOnePerTick(warnings.map((line) => line.time), INTERVAL_MS);
    expect(proxy.connects.length).toBeLessThanOrEqual(faults.logs.refreshFailures().length + 1);
  });

  it('tunnels with the credentials of the proxy URL, then names the proxy when it refuses them (HTTP 407)', async () => {
    guardCredentials();
    const { issuer, https, proxy } = await licenseHostBehind({ kind: 'tunnel' }, `${USER}:${PASSWORD}`);
    const { agent } = await faults.licensedAgent({
      mode: 'api-key', endpoint: ENDPOINT, issuer, options: { ca: certificate.cert, proxy: proxy.urlWith(USER, PASSWORD) },
    });
    await waitFor(() => agent.status().lastAttempt?.ok, 3_000, 'a refresh through the tunnel');
    expect(https.requests).toHaveLength(1);
    expect(proxy.connects[0]).toMatchObject({ target: `${LICENSE_HOST}:443`, proxyAuthorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` });

    // The tunnel stays open for the next refresh: cut it, so that the next one asks the proxy again.
    proxy.credentials = 'someone:else';
    proxy.cutConnections();
    const warnings = await refreshWarnings(faults, 1, 3_000);
    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} refused the credentials of its URL (HTTP 407)`);
    expect(JSON.stringify(agent.status())).not.toMatch(new RegExp(`${USER}|${PASSWORD}`));
    expect(https.requests).toHaveLength(1);
  });

  it('keeps a fault of the license server behind the tunnel the license server\'s, saying which proxy it came through', async () => {
    const { issuer, proxy } = await licenseHostBehind({ kind: 'tunnel' });
    // No `ca`: the license host's self-signed certificate is refused, inside the tunnel.
    await faults.licensedAgent({ mode: 'api-key', endpoint: ENDPOINT, issuer, options: { proxy: proxy.url } });
    const warnings = await refreshWarnings(faults, 1, 3_000);

    expect(warnings[0]!.msg).toContain(`license server ${ENDPOINT} unreachable: TLS: self-signed certificate (through proxy 127.0.0.1:${proxy.port})`);
    expect(warnings[0]!.msg).not.toMatch(/proxy \S+ (refused|asks|unreachable|did not)/);
  });

  it('names the proxy for a plain http target too: undici tunnels it with CONNECT, so the answer is surely the proxy\'s', async () => {
    const issuer = await faults.referenceServer();
    const proxy = faults.own(await startTestProxy({ behaviour: { kind: 'tunnel' }, tunnelTo: issuer.port }));
    const { agent } = await faults.licensedAgent({ mode: 'api-key', endpoint: issuer.url, issuer, options: { proxy: proxy.url } });
    await waitFor(() => agent.status().lastAttempt?.ok, 3_000, 'a refresh through the tunnel');

    proxy.behaviour = { kind: 'authenticate' };
    proxy.cutConnections();
    const warnings = await refreshWarnings(faults, 1, 3_000);
    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} asks for authentication (HTTP 407)`);
    expect(proxy.connects.map((attempt) => attempt.target).slice(0, 2)).toEqual([`127.0.0.1:${issuer.port}`, `127.0.0.1:${issuer.port}`]);
    expect(proxy.plainRequests).toEqual([]);
  });

  it('goes direct to a license host that NO_PROXY names, and through the proxy when it names another', async () => {
    const issuer = await faults.referenceServer();
    const proxy = faults.own(await startTestProxy({ behaviour: { kind: 'refuse', status: 403 } }));
    const env = (noProxy: string) => ({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: noProxy });
    const direct = await faults.licensedAgent({ mode: 'api-key', endpoint: issuer.url, issuer, options: { env: env('localhost, 127.0.0.1') } });
    await waitFor(() => direct.agent.status().lastAttempt?.ok, 3_000, 'a direct refresh');
    await direct.agent.stop();
    expect(proxy.connects).toEqual([]);
    expect(issuer.requests).toHaveLength(1);

    await faults.licensedAgent({ mode: 'api-key', endpoint: issuer.url, issuer, options: { env: env('localhost, 127.0.0.2') } });
    const warnings = await refreshWarnings(faults, 1, 3_000);
    expect(warnings[0]!.msg).toContain(`proxy 127.0.0.1:${proxy.port} refused the tunnel to 127.0.0.1:${issuer.port} with HTTP 403`);
    expect(issuer.requests).toHaveLength(1);
  });
});

describe('the proxy credentials', () => {
  const faultsToTry: ReadonlyArray<[string, ProxyBehaviour | 'down']> = [
    ['refuses the tunnel', { kind: 'refuse', status: 403 }],
    ['asks for authentication', { kind: 'authenticate' }],
    ['never answers', { kind: 'hang' }],
    ['hangs up', { kind: 'hang-up' }],
    ['is down', 'down'],
  ];

  it.each(faultsToTry)('never reach the error, its causes or its stack when the proxy %s', async (_, behaviour) => {
    const secrets = guardCredentials();
    const proxy = behaviour === 'down' ? undefined : faults.own(await startTestProxy({ behaviour }));
    const port = proxy?.port ?? (await unusedPort());
    const proxyUrl = `http://${USER}:${PASSWORD}@127.0.0.1:${port}`;
    const client = createHttpClient({ connectTimeoutMs: 250, readTimeoutMs: 2_000, proxies: { http: proxyUrl, https: proxyUrl, noProxy: '' } });
    const error = await client.postJson({ url: `${ENDPOINT}/api/v1/licenses/token`, authorization: `Bearer ${API_KEY}`, body: {} }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await client.close();

    expect(error).toBeInstanceOf(LicenseNetworkError);
    expect((error as Error).message).toMatch(new RegExp(`^proxy 127\\.0\\.0\\.1:${port} `));
    const everything = inspect(error, { depth: 10, showHidden: true });
    expect(secrets.filter((secret) => everything.includes(secret))).toEqual([]);
  });
});
