/**
 * State on disk: a state dir that cannot be used (under a regular file, itself a file, read-only
 * for this user), a cache file that is corrupt, empty or holds a JWT that no longer verifies, a
 * malformed instance-id file. In every case the agent keeps running and refreshing, warns once
 * about the state, and what is on disk is either the old or the new complete file.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { generateIssuerKeys, mintLicense, type LicenseServer } from '../../../src/issuer/index.js';
import { CACHE_FILE, INSTANCE_ID_FILE, sha256Hex, sleep, STATE_FILE, useE2E, UUID_V4, waitForRequests, writeCache } from '../../e2e/support/harness.js';
import { type LogCapture, type LogLine, WARN } from '../../support/logs.js';
import { killAll, startFixture, type Fixture } from './support/child.js';

const execFileAsync = promisify(execFile);
const e2e = useE2E();
const fixtures: Fixture[] = [];
afterEach(() => killAll(fixtures));

const API_KEY = 'sk-faults_state_key_71b0';
const SUB = 'lic-state';
const NOBODY = 65_534;
/** How long the read-only child goes on refreshing after its first refresh. */
const RUN_MS = 200;
/** Requests each in-process agent makes before it is stopped: the start's, and refreshes after it. */
const REQUESTS = 4;

/** What a warning about the state dir, its files or the ledger says (not the short-interval notice). */
const ABOUT_STATE = /state dir|license cache|cached license|instance id|ledger/i;

function stateWarnings(logs: { lines: readonly LogLine[] }): LogLine[] {
  return logs.lines.filter((line) => line.level === WARN && ABOUT_STATE.test(line.msg));
}

async function apiKeyServer(): Promise<LicenseServer> {
  return e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
}

/** Runs an API-key agent on `stateDir` with a 50 ms interval until {@link REQUESTS} requests, and stops it. */
async function runAgent(server: LicenseServer, stateDir: string) {
  const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, stateDir, trustedKeys: server.keys.jwks, refresh: { interval: '50ms' } });
  await agent.start();
  await waitForRequests(server, REQUESTS, 15_000);
  // The last request's answer adopted, so that the status tells how the refreshes went.
  await sleep(60);
  const status = agent.status();
  await agent.stop();
  return status;
}

/**
 * The cache files must be whole: `license-cache.jwt` the JWT alone, verifying against `server`, and
 * `license-state.json` in the documented format, describing that very JWT.
 */
async function expectCompleteCache(dir: string, server: LicenseServer): Promise<void> {
  const jwt = await readFile(path.join(dir, CACHE_FILE), 'utf8');
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(server.keys.jwks));
  expect(payload).toMatchObject({ sub: SUB, tier: expect.stringMatching(/^pro$/i) });
  const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as Record<string, unknown>;
  expect(state).toMatchObject({ format: 1, api_key: { jwt_sha256: sha256Hex(jwt), license_id: SUB, key_fingerprint: sha256Hex(API_KEY) } });
}

function expectKeptRunning(status: { tier: string; instanceId: string | null }, server: LicenseServer, logs: LogCapture): void {
  expect(status.tier).toBe('Pro');
  expect(status.instanceId).toMatch(UUID_V4);
  // Refreshes went on after the state trouble, and none failed.
  expect(server.requests.length).toBeGreaterThanOrEqual(REQUESTS);
  expect(logs.refreshFailures()).toEqual([]);
}

describe('an unusable state dir', () => {
  it('keeps running in memory with one warning when the state dir lies under a regular file', async () => {
    const server = await apiKeyServer();
    const blocker = path.join(await e2e.tempDir(), 'not-a-dir');
    await writeFile(blocker, 'a regular file\n');

    const status = await runAgent(server, path.join(blocker, 'state'));

    expectKeptRunning(status, server, e2e.logs);
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toContain(path.join(blocker, 'state'));
    expect(JSON.stringify(warnings[0])).toContain('ENOTDIR');
    expect(await readFile(blocker, 'utf8')).toBe('a regular file\n');
  });

  it('keeps running in memory with one warning when the state dir path is a file', async () => {
    const server = await apiKeyServer();
    const file = path.join(await e2e.tempDir(), 'state');
    await writeFile(file, 'a regular file\n', { mode: 0o600 });

    const status = await runAgent(server, file);

    expectKeptRunning(status, server, e2e.logs);
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/state directory unavailable/);
    expect(JSON.stringify(warnings[0])).toContain(file);
    expect(JSON.stringify(warnings[0])).toMatch(/EEXIST|ENOTDIR/);
    expect(await readFile(file, 'utf8')).toBe('a regular file\n');
  });

  it('reads but never writes a state dir it may not write, with one warning, leaving its files as they were', async () => {
    const server = await apiKeyServer();
    const parent = await e2e.tempDir();
    const dir = path.join(parent, 'state');
    await mkdir(dir);
    const instanceId = '3f2b8a1c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
    await writeFile(path.join(dir, INSTANCE_ID_FILE), `${instanceId}\n`);
    await writeCache(dir, { jwt: await server.mint({ sub: SUB, tier: 'Pro' }), fetchedAt: Date.now() - 60_000, apiKey: API_KEY });
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      // Root writes anywhere whatever the mode: the agent runs as nobody on root's 0755 dir instead.
      await execFileAsync('id', ['nobody']);
      await chmod(parent, 0o755);
      await chmod(path.join(dir, CACHE_FILE), 0o644);
      await chmod(path.join(dir, STATE_FILE), 0o644);
      await chmod(path.join(dir, INSTANCE_ID_FILE), 0o644);
      await chmod(dir, 0o755);
    } else {
      await chmod(dir, 0o555);
    }
    const before = await snapshot(dir);

    let report: ChildReport;
    try {
      report = await runChild(dir, server, asRoot);
    } finally {
      // Writable again, for the clean-up.
      if (!asRoot) await chmod(dir, 0o700);
    }

    expect(report.uid).toBe(asRoot ? NOBODY : process.getuid?.());
    expect(report).toMatchObject({ instanceId, tier: 'Pro', licenseId: SUB, startedOn: 'Pro' });
    expect(report.refreshedSinceStart).toBe(true);
    const warnings = report.warnings.filter((line) => line.level === WARN && ABOUT_STATE.test(line.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/state directory is not writable \(EACCES\)/);
    expect(await snapshot(dir)).toEqual(before);
  }, 60_000);
});

describe('a damaged state file', () => {
  it.each([
    ['a corrupt cache file', CACHE_FILE, 'eyJhbGciOiJFZERTQSJ9.eyJzdWIi', /license cache is unreadable/],
    ['a corrupt state file', STATE_FILE, '{"format":1,"api_key":{"jwt_sha256":"', /license cache state file is unreadable/],
  ])('replaces %s with a complete one after one warning', async (_what, file, content, warning) => {
    const server = await apiKeyServer();
    const dir = await e2e.tempDir();
    await writeFile(path.join(dir, file), content, { mode: 0o600 });

    const status = await runAgent(server, dir);

    expectKeptRunning(status, server, e2e.logs);
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(warning);
    await expectCompleteCache(dir, server);
  });

  it('takes an empty cache file for none, as SoftClient4ES does, and replaces it without a warning', async () => {
    const server = await apiKeyServer();
    const dir = await e2e.tempDir();
    await writeFile(path.join(dir, CACHE_FILE), '', { mode: 0o600 });

    const status = await runAgent(server, dir);

    expectKeptRunning(status, server, e2e.logs);
    expect(stateWarnings(e2e.logs)).toEqual([]);
    await expectCompleteCache(dir, server);
  });

  it('does not repeat its warnings at every refresh when the cache file can be neither read nor written', async () => {
    const server = await apiKeyServer();
    const dir = await e2e.tempDir();
    // A directory where the cache file should be: reads refuse it (not a regular file), and every rename fails (EISDIR).
    await mkdir(path.join(dir, CACHE_FILE));

    const status = await runAgent(server, dir);

    expectKeptRunning(status, server, e2e.logs);
    const messages = stateWarnings(e2e.logs).map((line) => `${line.msg} (${String(line['reason'] ?? line['code'])})`);
    // One warning about reading it and one about writing it, whatever the number of refreshes.
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages).toEqual([...new Set(messages)]);
    expect((await stat(path.join(dir, CACHE_FILE))).isDirectory()).toBe(true);
  });

  it('replaces a cached JWT signed by a key no longer trusted after one warning, in API-key mode', async () => {
    const server = await apiKeyServer();
    const dir = await e2e.tempDir();
    const retired = await generateIssuerKeys(server.keys.kid);
    await writeCache(dir, { jwt: await mintLicense(retired, { sub: SUB, tier: 'Enterprise' }, { now: Date.now() }), fetchedAt: Date.now() - 60_000, apiKey: API_KEY });

    const status = await runAgent(server, dir);

    expectKeptRunning(status, server, e2e.logs);
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/cached license no longer verifies/);
    await expectCompleteCache(dir, server);
  });

  it('ignores a cached JWT signed by a key no longer trusted after one warning, in static-JWT mode', async () => {
    const server = await e2e.server();
    const dir = await e2e.tempDir();
    const retired = await generateIssuerKeys(server.keys.kid);
    const licenseKey = await server.mint({ sub: SUB, tier: 'Pro', iat: Math.floor(Date.now() / 1000) - 3_600 });
    // A later "upgrade" of the same license, signed by the retired key: it must not be adopted.
    await writeCache(dir, { jwt: await mintLicense(retired, { sub: SUB, tier: 'Enterprise' }, { now: Date.now() }), fetchedAt: Date.now() - 60_000 });
    const agent = e2e.agent({ licenseKey, stateDir: dir, trustedKeys: server.keys.jwks });

    await agent.start();

    expect(agent.status()).toMatchObject({ mode: 'static-jwt', tier: 'Pro', licenseId: SUB });
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/cached license no longer verifies/);
  });

  it('replaces a malformed instance-id file with a complete new id after one warning', async () => {
    const server = await apiKeyServer();
    const dir = await e2e.tempDir();
    await writeFile(path.join(dir, INSTANCE_ID_FILE), 'not-a-uuid\u0000garbage', { mode: 0o600 });

    const status = await runAgent(server, dir);

    expectKeptRunning(status, server, e2e.logs);
    const warnings = stateWarnings(e2e.logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/instance id file is malformed/);
    const stored = await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8');
    expect(stored).toBe(`${status.instanceId}\n`);
    expect((await stat(path.join(dir, INSTANCE_ID_FILE))).mode & 0o777).toBe(0o600);
  });
});

interface ChildReport {
  readonly uid: number | undefined;
  readonly instanceId: string | null;
  readonly tier: string;
  readonly licenseId: string | null;
  readonly startedOn: string;
  readonly refreshedSinceStart: boolean;
  readonly warnings: ReadonlyArray<{ level: number; msg: string }>;
}

/** Runs the read-only fixture (as nobody when we are root) and returns its report. */
async function runChild(dir: string, server: LicenseServer, asNobody: boolean): Promise<ChildReport> {
  const child = startFixture('read-only-agent.ts', [dir, server.url, JSON.stringify(server.keys.jwks), API_KEY, String(RUN_MS)], {
    // nobody's home does not exist: tsx and the agent must not need one.
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent' },
    ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  fixtures.push(child);
  const report = await child.line('{', 40_000);
  expect(await child.exited).toBe(0);
  return JSON.parse(report) as ChildReport;
}

/** Every entry of `dir` with its mode, owner and content: to tell that nothing changed. */
async function snapshot(dir: string): Promise<Record<string, { mode: number; uid: number; content: string }>> {
  const entries: Record<string, { mode: number; uid: number; content: string }> = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const info = await stat(file);
    entries[name] = { mode: info.mode, uid: info.uid, content: await readFile(file, 'utf8') };
  }
  return entries;
}
