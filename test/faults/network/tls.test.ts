/**
 * A license server with a self-signed certificate. Refused by default (a `warn` naming TLS, the
 * license kept, nothing sent past the handshake, one handshake per tick); trusted when its
 * certificate is given as the `ca` option, or to Node through NODE_EXTRA_CA_CERTS.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_PATH, TOKEN_PATH } from '../../../src/issuer/index.js';
import { credentials, nowSeconds, waitFor } from '../../e2e/support/harness.js';
import { WARN } from '../../support/logs.js';
import {
  API_KEY,
  expectLicenseKept,
  expectNextRegularTick,
  expectNoSecrets,
  expectOnePerTick,
  INTERVAL_MS,
  LICENSE,
  MODES,
  refreshWarnings,
  useNetworkFaults,
} from './support/faults.js';
import { startHttpsIssuer } from './support/servers.js';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from './support/tls.js';

const faults = useNetworkFaults();

const REFRESH_ONCE = fileURLToPath(new URL('./fixtures/refresh-once.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(REFRESH_ONCE), '../../../..');
/** tsx start-up alone takes seconds on a loaded 2-core machine. */
const CHILD_TIMEOUT_MS = 30_000;

let certificate: SelfSignedCertificate;
beforeAll(async () => {
  certificate = await makeSelfSignedCertificate();
});
afterAll(() => certificate.remove());

async function httpsIssuer() {
  const issuer = await faults.referenceServer();
  const https = faults.own(await startHttpsIssuer({ ...certificate, issuer, apiKeys: { [API_KEY]: LICENSE } }));
  return { issuer, https };
}

describe.each(MODES)('in %s mode', (mode) => {
  it('refuses a self-signed certificate by default: warns naming TLS, sends nothing and keeps one handshake per tick', async () => {
    const { issuer, https } = await httpsIssuer();
    const { agent, license } = await faults.licensedAgent({ mode, endpoint: https.url, issuer });
    const warnings = await refreshWarnings(faults, 1, 2_000);
    await expectNextRegularTick(agent, INTERVAL_MS);
    await waitFor(() => https.handshakeFailures.length >= 2, 2_000, 'two refused handshakes');

    expect(warnings[0]!.level).toBe(WARN);
    expect(warnings[0]!.msg).toContain('TLS: self-signed certificate');
    expect(https.requests).toEqual([]);
    expectLicenseKept(agent, license);
    expectOnePerTick(https.handshakeFailures, INTERVAL_MS);
  });

  it('trusts the self-signed certificate given as the ca option and refreshes through it', async () => {
    const { issuer, https } = await httpsIssuer();
    // The first tick comes after start() returns, so that `license` is the one from before it.
    const { agent, license, jwt } = await faults.licensedAgent({
      mode, endpoint: https.url, issuer, firstTickInMs: 300, options: { ca: certificate.cert },
    });
    const status = await waitFor(() => (agent.status().lastAttempt ? agent.status() : undefined), 2_000, 'a first refresh');

    expect(status.lastAttempt).toMatchObject({ ok: true });
    expect(status.lastError).toBeNull();
    expect(https.requests).toHaveLength(1);
    const request = https.requests[0]!;
    // Both modes send a Bearer credential: the API key to the token endpoint, the JWT to its refresh_url.
    expect(credentials(request, 'Bearer')).toBe(mode === 'api-key' ? API_KEY : jwt);
    expect(request.path).toBe(mode === 'api-key' ? TOKEN_PATH : REFRESH_PATH);
    // A renewed license: a new object with the same terms.
    expect(agent.license()).not.toBe(license);
    expect(agent.license()).toMatchObject({ tier: 'Pro', licenseId: LICENSE.sub });
    expect(faults.logs.refreshFailures()).toEqual([]);
  });
});

interface ChildReport {
  readonly result: { readonly status: string; readonly message: string };
  readonly tier: string;
  readonly lastError: string | null;
  readonly logs: string;
}

/**
 * Starts an HTTPS issuer with the self-signed certificate and runs the refresh-once fixture against
 * it, with NODE_EXTRA_CA_CERTS naming `extraCaFile` or unset.
 */
async function refreshInChild(extraCaFile: string | undefined) {
  const { issuer, https } = await httpsIssuer();
  const jwt = await issuer.mint({ ...LICENSE, refresh_url: `${https.url}${REFRESH_PATH}`, iat: nowSeconds() - 60 });
  faults.secret(jwt);
  const jwksFile = path.join(await faults.tempDir(), 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(issuer.keys.jwks));
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTS_LICENSE_KEY: jwt, FAULTS_REFRESH_ORIGIN: https.url };
  delete env['NODE_EXTRA_CA_CERTS'];
  if (extraCaFile) env['NODE_EXTRA_CA_CERTS'] = extraCaFile;
  const child = spawn(process.execPath, ['--import', 'tsx', REFRESH_ONCE, await faults.tempDir(), jwksFile], { cwd: ROOT, env });
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`refresh-once exited with ${code} (killed after ${CHILD_TIMEOUT_MS} ms?): ${stderr}`);
  const report = JSON.parse(stdout.trim().split('\n').pop() as string) as ChildReport;
  return { report, jwt, https };
}

describe('NODE_EXTRA_CA_CERTS (static-jwt mode, in a child process)', () => {
  // Each child costs seconds of start-up (tsx): both run at once, and each test reads its own.
  let trusted: ReturnType<typeof refreshInChild>;
  let untrusted: ReturnType<typeof refreshInChild>;
  beforeAll(() => {
    trusted = refreshInChild(certificate.certFile);
    untrusted = refreshInChild(undefined);
    return Promise.allSettled([trusted, untrusted]).then(() => undefined);
  }, CHILD_TIMEOUT_MS + 5_000);

  it('trusts the self-signed certificate when NODE_EXTRA_CA_CERTS names it', async () => {
    const { report, jwt, https } = await trusted;

    expect(report.result).toMatchObject({ status: 'refreshed' });
    expect(report.lastError).toBeNull();
    expect(https.requests).toHaveLength(1);
    expect(credentials(https.requests[0]!, 'Bearer')).toBe(jwt);
    expectNoSecrets(report.logs, [jwt]);
  });

  it('refuses the same certificate in the same child without NODE_EXTRA_CA_CERTS', async () => {
    const { report, jwt, https } = await untrusted;

    expect(report.result.status).toBe('failed');
    expect(report.result.message).toContain('TLS: self-signed certificate');
    expect(report.tier).toBe('Pro');
    expect(https.requests).toEqual([]);
    expect(report.logs).toContain('TLS: self-signed certificate');
    expectNoSecrets(report.logs, [jwt]);
  });
});
