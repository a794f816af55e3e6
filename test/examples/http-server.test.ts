/**
 * End to end: `examples/http-server/server.mjs` run as a user runs it, a child process importing
 * `softclient4es-license` by name, against the reference license server on 127.0.0.1, driven over
 * HTTP. The package is built once into a temp copy (package.json, dist, a link to node_modules), so
 * the example resolves the name to that build and never races another test rebuilding `dist/`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLicenseServer, type LicenseServer, type LicenseTemplate } from '../../src/issuer/index.js';
import { bodyOf, waitFor } from '../e2e/support/harness.js';
import { scrape, valueOf } from '../support/exposition.js';
import { connectRaw } from './support/raw-http.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const API_KEY = 'sk-example-key';
const PRO: LicenseTemplate = { sub: 'lic-example-pro', tier: 'Pro', features: ['federation'], quotas: { max_clusters: 3 } };
const ENTERPRISE: LicenseTemplate = { sub: 'lic-example-pro', tier: 'Enterprise', features: ['federation'] };

interface Example {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
}

let packageDir: string;
let exampleFile: string;

/**
 * Builds the package's JavaScript into a temp dir laid out like an installed package, with the
 * example inside it. `--noCheck` emits what `npm run build` emits without type checking it again
 * (`npm test` type-checks first; test/package checks the real build): 3 s instead of 13.
 */
beforeAll(async () => {
  packageDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-example-pkg-'));
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const outDir = path.join(packageDir, 'dist');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--noCheck', '--declaration', 'false', '--sourceMap', 'false'], {
    cwd: ROOT,
    timeout: 60_000,
  });
  await copyFile(path.join(ROOT, 'package.json'), path.join(packageDir, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(packageDir, 'node_modules'), 'dir');
  exampleFile = path.join(packageDir, 'examples/http-server/server.mjs');
  await mkdir(path.dirname(exampleFile), { recursive: true });
  await copyFile(path.join(ROOT, 'examples/http-server/server.mjs'), exampleFile);
}, 70_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

let server: LicenseServer;
let workDir: string;
let keysFile: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  server = await startLicenseServer({ apiKeys: { [API_KEY]: PRO } });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-example-'));
  keysFile = path.join(workDir, 'trusted-keys.json');
  await writeFile(keysFile, JSON.stringify(server.keys.jwks));
});

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await server.close();
  await rm(workDir, { recursive: true, force: true });
});

/** What Prometheus 2.x and 3.x send when they scrape: OpenMetrics first, the text format as fallback. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Starts the example with only the variables given (and PATH, HOME, a fresh state dir, port 0). */
async function startExample(env: Record<string, string>): Promise<Example> {
  const child = spawn(process.execPath, [exampleFile], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: workDir,
      SOFTCLIENT4ES_HOME: path.join(workDir, 'state'),
      PORT: '0',
      EXAMPLE_TRUSTED_KEYS_FILE: keysFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode}\n${stderr}`);
    return /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
  }, 10_000, `the example to listen\n${stderr}`);
  return { child, url, stderr: () => stderr };
}

/** The example in API-key mode against the reference server. */
function startLicensedExample(): Promise<Example> {
  return startExample({ SOFTCLIENT4ES_API_KEY: API_KEY, SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url });
}

/** The `msg` of every pino record in `text` (the agent logs JSON lines on stderr). */
function logMessages(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { msg: string }).msg);
}

async function call(example: Example, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${example.url}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}

describe('examples/http-server', () => {
  it('reports a port already in use in one line, with no stack trace, and exits 1', async () => {
    const first = await startLicensedExample();
    const port = new URL(first.url).port;
    const second = spawn(process.execPath, [exampleFile], {
      env: { PATH: process.env['PATH'] ?? '', HOME: workDir, SOFTCLIENT4ES_HOME: path.join(workDir, 'state-2'), PORT: port, EXAMPLE_TRUSTED_KEYS_FILE: keysFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(second);
    let stderr = '';
    second.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));

    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    expect(lines).toEqual([`cannot listen on 127.0.0.1:${port}: the port is already in use`]);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('counts the queries it served in the telemetry of the next refresh body', async () => {
    const example = await startLicensedExample();
    for (let i = 0; i < 3; i++) expect((await call(example, 'POST', '/query', { joins: 2 })).status).toBe(200);
    const before = server.requests.length;

    await call(example, 'POST', '/license/refresh');

    expect(server.requests).toHaveLength(before + 1);
    const refresh = server.requests.at(-1);
    expect(refresh && bodyOf(refresh)['telemetry']).toMatchObject({ queries_total: 3, joins_total: 6 });
  });

  it('answers GET /license with the SHOW LICENSE row of the license in force', async () => {
    const example = await startLicensedExample();

    const { status, body } = await call(example, 'GET', '/license');

    expect(status).toBe(200);
    expect(body).toMatchObject({
      license_type: 'Pro',
      trial: false,
      max_clusters: '3',
      max_joins: 'unlimited',
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      days_remaining: expect.any(Number),
    });
  });

  it('answers POST /license/refresh with the REFRESH LICENSE row, an upgrade included', async () => {
    const example = await startLicensedExample();
    server.setApiKey(API_KEY, ENTERPRISE);

    const { status, body } = await call(example, 'POST', '/license/refresh');

    expect(status).toBe(200);
    expect(body).toMatchObject({ previous_tier: 'Pro', new_tier: 'Enterprise', status: 'Refreshed' });
    expect((await call(example, 'GET', '/license')).body).toMatchObject({ license_type: 'Enterprise' });
  });

  it('answers 402 with the quota message when a query exceeds a Community quota', async () => {
    const example = await startExample({});

    const { status, body } = await call(example, 'POST', '/query?joins=3');

    expect(status).toBe(402);
    expect(body).toEqual({ error: 'Quota exceeded: max_joins is 2 on the Community tier' });
  });

  it('answers 402 when a query exceeds a quota of the paid license in force', async () => {
    const example = await startLicensedExample();

    const refused = await call(example, 'POST', '/query', { clusters: 4, joins: 10 });
    const served = await call(example, 'POST', '/query', { clusters: 3, joins: 10 });

    expect(refused).toEqual({ status: 402, body: { error: 'Quota exceeded: max_clusters is 3 on the Pro tier' } });
    expect(served.status).toBe(200);
  });

  it('answers GET /metrics in OpenMetrics when the scrape asks for it, with its content type', async () => {
    const example = await startLicensedExample();

    const response = await fetch(`${example.url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT }, signal: AbortSignal.timeout(10_000) });
    const series = scrape(await response.text(), 'openmetrics');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(series.get('softclient4es_license_info')?.samples[0]?.labels).toEqual({ tier: 'Pro', platform: 'PRODUCTION', mode: 'api-key', license_id: 'lic-example-pro' });
    expect(series.get('softclient4es_license_refresh_requests_total')?.samples).toEqual([
      { labels: { outcome: 'success' }, value: 1 },
      { labels: { outcome: 'failure' }, value: 0 },
    ]);
    expect(series.get('softclient4es_license_expiry_timestamp_seconds')).toMatchObject({ unit: 'seconds', samples: [{ value: expect.any(Number) }] });
  });

  it.each([
    ['no Accept of its own (fetch sends */*)', undefined],
    ['the text format', 'text/plain;version=0.0.4'],
    ['OpenMetrics refused with q=0', 'application/openmetrics-text;q=0, text/plain'],
  ])('answers GET /metrics in the Prometheus text format for %s', async (_, accept) => {
    const example = await startExample({});

    const response = await fetch(`${example.url}/metrics`, { ...(accept ? { headers: { accept } } : {}), signal: AbortSignal.timeout(10_000) });
    const text = await response.text();

    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('vary')).toBe('Accept');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text, 'utf8'));
    const series = scrape(text, 'prometheus');
    expect(series.get('softclient4es_license_info')?.samples[0]?.labels).toMatchObject({ tier: 'Community', license_id: '' });
    expect(valueOf(series, 'softclient4es_license_degraded')).toBe(0);
    expect(series.has('softclient4es_license_expiry_timestamp_seconds')).toBe(false);
  });

  it('keeps an HTTP/1.0 keep-alive connection open, with a content-length on every answer', async () => {
    // A platform outside ASCII: its row is longer in bytes than in characters.
    server.setApiKey(API_KEY, { ...PRO, platform: 'staging-zürich' });
    const example = await startLicensedExample();
    const connection = await connectRaw(example.url);
    try {
      const license = await connection.exchange('GET /license HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const query = await connection.exchange('POST /query?joins=1 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n');
      const missing = await connection.exchange('GET /nowhere HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');

      expect([license, query, missing].map((each) => each.statusLine)).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found']);
      for (const each of [license, query, missing]) {
        expect(each.headers['connection']).toBe('keep-alive');
        expect(Number(each.headers['content-length'])).toBe(Buffer.byteLength(each.body.toString('utf8'), 'utf8'));
      }
      expect(JSON.parse(license.body.toString('utf8'))).toMatchObject({ license_type: 'Pro', platform: 'STAGING-ZÜRICH' });
      expect(JSON.parse(query.body.toString('utf8'))).toMatchObject({ ok: true, joins: 1 });
    } finally {
      connection.close();
    }
  });

  it('stops the agent on SIGTERM and exits 0', async () => {
    const example = await startLicensedExample();
    const exited = once(example.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    example.child.kill('SIGTERM');

    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 5 s\n${example.stderr()}`)), 5_000).unref());
    const [code, signal] = await Promise.race([exited, timeout]);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // The agent's timers are unref'd, so exit 0 alone would not show that stop() ran: its log line does.
    expect(logMessages(example.stderr())).toContain('license agent stopped');
  });
});
