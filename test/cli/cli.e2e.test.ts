/**
 * End to end: the built `softclient4es-license` binary (`npm run build` once, then
 * `node dist/src/cli/main.js`), spawned against the reference license server on 127.0.0.1 with a
 * fresh state directory per test and the server's keys passed with `--trusted-keys`. Checks what
 * an operator sees: output, stderr and exit codes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLicenseServer, type LicenseServer, type LicenseTemplate } from '../../src/issuer/index.js';
import { readCache, writeCache } from '../e2e/support/harness.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'dist/src/cli/main.js');
const PACKAGE_VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const API_KEY = 'sk-cli-test-key';
const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'] };
const DAY_SECONDS = 86_400;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STACK_FRAME = /^\s+at /m;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 90_000 });
}, 100_000);

let server: LicenseServer;
let workDir: string;
let home: string;
let keysFile: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  server = await startLicenseServer({ apiKeys: { [API_KEY]: PRO } });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-cli-'));
  // Not created: the CLI must create a missing state directory.
  home = path.join(workDir, 'home');
  keysFile = path.join(workDir, 'trusted-keys.json');
  await writeFile(keysFile, JSON.stringify(server.keys.jwks));
});

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await server.close();
  await rm(workDir, { recursive: true, force: true });
});

/** The environment of a spawned CLI: nothing of ours leaks in but PATH. */
function cliEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: workDir, SOFTCLIENT4ES_HOME: home, ...env };
}

function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

/** Runs the CLI to completion; kills it and fails after `timeoutMs`. */
async function cli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  children.delete(child);
  if (signal === 'SIGKILL') throw new Error(`softclient4es-license ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`);
  return { code, stdout, stderr };
}

const trusted = () => ['--trusted-keys', keysFile];
const apiKeyEnv = () => ({ SOFTCLIENT4ES_API_KEY: API_KEY, SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url });
// The caller names the shape the command prints.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const json = <T = Record<string, unknown>>(result: CliResult): T => JSON.parse(result.stdout) as T;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A cache as an earlier run in API-key mode would have left it, fetched an hour ago. */
async function cacheProLicense(): Promise<string> {
  const jwt = await server.mint(PRO, Date.now() - 3_600_000);
  await mkdir(home, { recursive: true });
  await writeCache(home, { jwt, fetchedAt: Date.now() - 3_600_000, apiKey: API_KEY });
  return jwt;
}

/** The `label  value` rows of a table, as a map. */
function tableOf(text: string): Map<string, string> {
  const rows = text.trimEnd().split('\n').map((line) => /^(\S+(?: \S+)*?)\s{2,}(.*)$/.exec(line));
  return new Map(rows.filter((row) => row !== null).map((row) => [row[1] as string, row[2] as string]));
}

describe('status', () => {
  it('shows the cached license of API-key mode as a table', async () => {
    await cacheProLicense();
    const result = await cli(['status', ...trusted()], apiKeyEnv());
    expect(result.code).toBe(0);
    const table = tableOf(result.stdout);
    expect(table.get('mode')).toBe('api-key');
    expect(table.get('tier')).toBe('Pro');
    expect(table.get('license id')).toBe('lic-pro');
    expect(table.get('expires')).toMatch(/^\d{4}-\d\d-\d\dT.*\(29 day\(s\) left\)$/);
    expect(table.get('validity')).toBe('valid');
    expect(table.get('refresh')).toBe(`${server.url}/api/v1/licenses/token`);
    expect(table.get('state dir')).toBe(home);
  });

  it('prints the status fields as JSON with --json, without contacting the server', async () => {
    await cacheProLicense();
    const result = await cli(['status', '--json', ...trusted()], apiKeyEnv());
    expect(result.code).toBe(0);
    const status = json(result);
    expect(status).toMatchObject({
      mode: 'api-key',
      validity: 'valid',
      tier: 'Pro',
      licenseId: 'lic-pro',
      daysRemaining: 29,
      grace: 'none',
      degraded: false,
      degradedFrom: null,
      endpoint: `${server.url}/api/v1/licenses/token`,
      stateDir: home,
      telemetryEnabled: true,
      problems: [],
    });
    expect(status['instanceId']).toMatch(UUID);
    expect(Date.parse(status['nextRefreshAt'] as string)).toBeGreaterThan(Date.now());
    expect(server.requests).toHaveLength(0);
  });

  it('shows a static license and its refresh_url', async () => {
    const jwt = await server.mint({ sub: 'lic-static', tier: 'Enterprise', refresh_url: server.refreshUrl });
    const result = await cli(['status', '--json', ...trusted()], { SOFTCLIENT4ES_LICENSE_KEY: jwt, SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS: server.url });
    expect(json(result)).toMatchObject({ mode: 'static-jwt', tier: 'Enterprise', licenseId: 'lic-static', endpoint: server.refreshUrl });
  });

  it('shows Community with no outbound connections when no license is configured', async () => {
    const result = await cli(['status']);
    expect(result.code).toBe(0);
    const table = tableOf(result.stdout);
    expect(table.get('mode')).toBe('community');
    expect(table.get('tier')).toBe('Community');
    expect(table.get('refresh')).toBe('none: no outbound connections');
  });

  it('shows a license expired beyond its grace period as degraded to Community', async () => {
    const jwt = await server.mint({ sub: 'lic-lapsed', tier: 'Pro', iat: nowSeconds() - 60 * DAY_SECONDS, exp: nowSeconds() - 20 * DAY_SECONDS });
    const result = await cli(['status', '--json', ...trusted()], { SOFTCLIENT4ES_LICENSE_KEY: jwt });
    expect(json(result)).toMatchObject({
      validity: 'degraded',
      tier: 'Community',
      degraded: true,
      degradedFrom: { licenseId: 'lic-lapsed', tier: 'Pro' },
    });
  });

  it('reports a malformed JWT in SOFTCLIENT4ES_LICENSE_KEY as such, without a stack trace', async () => {
    const result = await cli(['status', ...trusted()], { SOFTCLIENT4ES_LICENSE_KEY: 'not-a-jwt' });
    expect(result.code).toBe(0);
    expect(tableOf(result.stdout).get('error')).toBe(
      'license expired or invalid - running in Community mode (the configured license key does not verify): license is malformed (ERR_JWS_INVALID)',
    );
    expect(tableOf(result.stdout).get('tier')).toBe('Community');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('refresh', () => {
  it('refreshes with one request, prints the Refreshed row, exits 0 and updates the cache', async () => {
    const result = await cli(['refresh', ...trusted()], apiKeyEnv());
    expect(result.code).toBe(0);
    const row = tableOf(result.stdout);
    expect(row.get('status')).toBe('Refreshed');
    expect(row.get('previous_tier')).toBe('Community');
    expect(row.get('new_tier')).toBe('Pro');
    expect(server.requests).toHaveLength(1);
    const cache = await readCache(home);
    expect(cache?.license_id).toBe('lic-pro');
    expect(Date.now() - Date.parse(cache?.fetched_at ?? '')).toBeLessThan(15_000);
  });

  it('replaces a cached license with a new one', async () => {
    const cached = await cacheProLicense();
    const result = await cli(['refresh', '--json', ...trusted()], apiKeyEnv());
    expect(json(result)).toMatchObject({ previous_tier: 'Pro', new_tier: 'Pro', status: 'Refreshed' });
    expect(server.requests).toHaveLength(1);
    expect((await readCache(home))?.jwt).not.toBe(cached);
  });

  it('exits 1 with the reason on stderr when the server answers 503', async () => {
    server.respondWith(() => ({ status: 503, body: JSON.stringify({ error: 'maintenance' }) }));
    const result = await cli(['refresh', ...trusted()], apiKeyEnv());
    expect(result.code).toBe(1);
    expect(tableOf(result.stdout).get('status')).toBe('Failed');
    expect(result.stderr).toMatch(/^softclient4es-license: refresh failed: .*503/m);
    expect(await readCache(home)).toBeUndefined();
  });

  it('exits 1 in Community mode: refresh is not supported there', async () => {
    const result = await cli(['refresh']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('License refresh is not supported in Community mode');
    expect(server.requests).toHaveLength(0);
  });
});

describe('instance-id', () => {
  it('creates the instance id on first use, then prints the same one', async () => {
    const first = await cli(['instance-id']);
    const second = await cli(['instance-id']);
    expect(first.stdout.trim()).toMatch(UUID);
    expect(second.stdout.trim()).toBe(first.stdout.trim());
    expect((await readFile(path.join(home, 'instance-id'), 'utf8')).trim()).toBe(first.stdout.trim());
  });
});

describe('telemetry', () => {
  it('prints the exact body the next refresh would send, and where', async () => {
    const instanceId = (await cli(['instance-id'])).stdout.trim();
    const result = await cli(['telemetry', '--json', ...trusted()], apiKeyEnv());
    expect(json(result)).toEqual({
      enabled: true,
      disabledBy: null,
      endpoint: `${server.url}/api/v1/licenses/token`,
      body: {
        instance_id: instanceId,
        version: PACKAGE_VERSION,
        uptime_hours: 0,
        telemetry: { queries_total: 0, joins_total: 0, mvs_active: 0, clusters_connected: 0 },
      },
    });
    expect(server.requests).toHaveLength(0);
  });

  it('sends SOFTCLIENT4ES_VERSION as the version when it is set', async () => {
    const result = await cli(['telemetry', '--json', ...trusted()], { ...apiKeyEnv(), SOFTCLIENT4ES_VERSION: '9.8.7' });
    expect(json<{ body: { version: string } }>(result).body.version).toBe('9.8.7');
  });

  it('names DO_NOT_TRACK as the switch that turned telemetry off, and leaves the counters out', async () => {
    const result = await cli(['telemetry', '--json', ...trusted()], { ...apiKeyEnv(), DO_NOT_TRACK: '1' });
    const preview = json<{ enabled: boolean; disabledBy: string; body: Record<string, unknown> }>(result);
    expect(preview.enabled).toBe(false);
    expect(preview.disabledBy).toBe('DO_NOT_TRACK');
    expect(Object.keys(preview.body).sort()).toEqual(['instance_id', 'uptime_hours', 'version']);
  });

  it('says on the table which switch turned telemetry off', async () => {
    const result = await cli(['telemetry', ...trusted()], { ...apiKeyEnv(), DO_NOT_TRACK: '1' });
    expect(tableOf(result.stdout).get('telemetry')).toBe('off (disabled by DO_NOT_TRACK)');
  });

  it('--sent lists what a previous refresh sent: time, host, endpoint, status and body', async () => {
    await cli(['refresh', ...trusted()], apiKeyEnv());
    const result = await cli(['telemetry', '--sent', '--json']);
    expect(result.code).toBe(0);
    const records = json<Array<Record<string, unknown>>>(result);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ host: `127.0.0.1:${server.port}`, endpoint: 'token', status: 200, body: server.requests[0]?.body });
    expect(Math.abs(Date.parse(records[0]?.['at'] as string) - Date.now())).toBeLessThan(15_000);
  });
});

describe('doctor', () => {
  it('passes every check against the loopback server, sending no license and no telemetry', async () => {
    const result = await cli(['doctor', ...trusted()], apiKeyEnv());
    expect(result.code).toBe(0);
    const checks = result.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s{2,}/).slice(0, 2));
    expect(checks).toEqual([
      ['ok', 'state dir'],
      ['ok', 'instance id'],
      ['ok', 'proxy'],
      ['ok', 'dns'],
      ['ok', 'tls'],
      ['ok', 'clock'],
      ['ok', 'trusted keys'],
    ]);
    expect(server.requests.map((request) => [request.method, request.path, request.headers.authorization, request.rawBody])).toEqual([
      ['HEAD', '/', undefined, ''],
    ]);
  });

  it('exits 1 when the state dir is not writable', async () => {
    const blocker = path.join(workDir, 'a-file');
    await writeFile(blocker, '');
    const result = await cli(['doctor', '--json', ...trusted()], { ...apiKeyEnv(), SOFTCLIENT4ES_HOME: path.join(blocker, 'state') });
    expect(result.code).toBe(1);
    const report = json<{ ok: boolean; checks: Array<{ name: string; ok: boolean }> }>(result);
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === 'state dir')?.ok).toBe(false);
  });
});

/** Spawns `run`, waits for the start-up log line, sends `signal`: the exit code and stdout. */
async function runUntil(signal: NodeJS.Signals, env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawnCli(['run', ...trusted()], env);
  let stdout = '';
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/"msg":"license agent started/.test(stdout)) resolve();
    });
    void closed.then(() => reject(new Error(`run exited before its start-up line:\n${stdout}`)));
  });
  await started;
  child.kill(signal);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 5 s of ${signal}`)), 5_000));
  const [code] = await Promise.race([closed, timeout]);
  return { code, stdout };
}

describe('run', () => {
  it('runs until SIGTERM, then stops cleanly and exits 0', async () => {
    const { code, stdout } = await runUntil('SIGTERM', apiKeyEnv());
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"license agent stopped"');
  });

  it('keeps running in Community mode, with no timer armed, until SIGINT', async () => {
    const { code, stdout } = await runUntil('SIGINT', {});
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"received SIGINT; stopping"');
  });
});

describe('demo', () => {
  it('runs the demo of npm start for --duration, then exits 0', async () => {
    const result = await cli(['demo', '--duration', '1s'], {}, 20_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('license server on http://127.0.0.1:');
    expect(result.stdout).toContain('running for 1 s (Ctrl-C stops sooner)');
    expect(result.stdout).toMatch(/stopped after \d+ request\(s\)/);
  });
});

describe('usage', () => {
  it('--help on every command prints its usage and exits 0', async () => {
    const commands = ['status', 'refresh', 'instance-id', 'telemetry', 'doctor', 'run', 'demo'];
    const results = await Promise.all(commands.map((command) => cli([command, '--help'])));
    results.forEach((result, index) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: softclient4es-license ${commands[index]}`));
    });
  });

  it('--help at the top level lists every command and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['status', 'refresh', 'instance-id', 'telemetry', 'doctor', 'run', 'demo']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('--version prints the package version', async () => {
    const result = await cli(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
  });

  it('rejects an unknown command with one line on stderr and exit code 2', async () => {
    const result = await cli(['frobnicate']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: "softclient4es-license: unknown command 'frobnicate' (see --help)\n" });
  });

  it('rejects an unknown option with one line on stderr and exit code 2', async () => {
    const result = await cli(['status', '--x']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: "softclient4es-license: unknown option '--x' (see --help)\n" });
  });

  it('rejects a bad environment variable with one line naming it and exit code 2', async () => {
    const result = await cli(['status'], { SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: 'soon' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^softclient4es-license: invalid option SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: .*\n$/);
  });

  it('rejects a --trusted-keys file that is not a JWKS with exit code 2', async () => {
    await writeFile(keysFile, '{"not":"keys"}');
    const result = await cli(['status', ...trusted()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`softclient4es-license: --trusted-keys: ${keysFile} is not a JWKS ({ "keys": [...] })\n`);
  });

  it('names an unusable state directory in the error, without a stack trace', async () => {
    const blocker = path.join(workDir, 'a-file');
    await writeFile(blocker, '');
    const result = await cli(['instance-id'], { SOFTCLIENT4ES_HOME: path.join(blocker, 'state') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(path.join(blocker, 'state'));
    expect(result.stderr).not.toMatch(STACK_FRAME);
    await expect(stat(path.join(blocker, 'state'))).rejects.toThrow();
  });
});
