/**
 * License files end to end, with real files, real directories laid out as Kubernetes mounts a
 * Secret, and real processes: the agent starts on the file's license, adopts a new one written in
 * place or swapped in by a symbolic link without a restart, keeps its license when the new file does
 * not verify, refuses an unusable file at creation, reloads on SIGHUP only when asked to, and leaves
 * nothing behind on stop().
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LicenseConfigError, type EffectiveLicense } from '../../src/index.js';
import { generateIssuerKeys, mintLicense, type IssuerKeys, type LicenseTemplate } from '../../src/issuer/index.js';
import { INFO, WARN } from '../support/logs.js';
import { sleep, useE2E, waitFor } from './support/harness.js';

const e2e = useE2E();
const FIXTURE = fileURLToPath(new URL('./fixtures/license-file-agent.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(FIXTURE), '../../..');
const DAY = 86_400_000;

let keys: IssuerKeys;
beforeAll(async () => {
  keys = await generateIssuerKeys();
});

/** A license for `sub`, issued now (or `issuedAgo` ms ago) for `validFor` ms, signed by the trusted key unless told otherwise. */
function mint(template: Partial<LicenseTemplate> & { sub?: string }, options: { issuedAgo?: number; by?: IssuerKeys } = {}): Promise<string> {
  const now = Date.now() - (options.issuedAgo ?? 0);
  return mintLicense(options.by ?? keys, { sub: 'lic-file', tier: 'Pro', validFor: 30 * DAY, ...template }, { now });
}

/** A directory holding `license.jwt` (with a trailing newline, as `kubectl create secret --from-file` keeps it). */
async function licenseFileWith(jwt: string): Promise<string> {
  const file = path.join(await e2e.tempDir(), 'license.jwt');
  await writeFile(file, `${jwt}\n`, { mode: 0o600 });
  return file;
}

/** An agent on `licenseFile`, trusting the test key, with a state dir of its own. */
async function startAgent(licenseFile: string, options: { reloadOnSighup?: boolean } = {}) {
  const agent = e2e.agent({ licenseFile, trustedKeys: keys.jwks, stateDir: await e2e.tempDir(), ...options });
  await agent.start();
  // From here on: the license in force at start is announced too (Community to Pro).
  const changes: Array<{ license: EffectiveLicense; previous: EffectiveLicense }> = [];
  agent.on('licenseChanged', (license, previous) => changes.push({ license, previous }));
  return { agent, changes };
}

function infoLines(prefix: string): string[] {
  return e2e.logs.at(INFO).map((line) => line.msg).filter((msg) => msg.startsWith(prefix));
}

function warnings(): string[] {
  return e2e.logs.at(WARN).map((line) => line.msg);
}

describe('a license file', () => {
  it('starts in static-JWT mode on the license the file holds', async () => {
    const { agent } = await startAgent(await licenseFileWith(await mint({ sub: 'lic-start', tier: 'Enterprise' })));
    expect(agent.status().mode).toBe('static-jwt');
    expect(agent.license()).toMatchObject({ licenseId: 'lic-start', tier: 'Enterprise' });
  });

  it('adopts a license written over the file in place: licenseChanged fires and one info line tells, with no JWT in it', async () => {
    const file = await licenseFileWith(await mint({ tier: 'Pro' }));
    const { agent, changes } = await startAgent(file);
    const next = await mint({ tier: 'Enterprise', validFor: 60 * DAY });

    await writeFile(file, `${next}\n`);

    await waitFor(() => agent.license().tier === 'Enterprise', 3_000, 'the new license');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ license: { tier: 'Enterprise' }, previous: { tier: 'Pro' } });
    const expiresAt = agent.license().expiresAt;
    expect(infoLines('license file changed')).toEqual([`license file changed: adopted license lic-file (Enterprise, expires ${expiresAt})`]);
    expect(e2e.logs.text()).not.toContain(next);
  });

  it('announces a new license even when only its expiry moved', async () => {
    const file = await licenseFileWith(await mint({ validFor: 30 * DAY }));
    const { agent, changes } = await startAgent(file);
    const before = agent.license();

    await writeFile(file, await mint({ validFor: 90 * DAY }));

    await waitFor(() => changes.length === 1, 3_000, 'licenseChanged');
    expect(changes[0]?.previous).toBe(before);
    expect(Date.parse(changes[0]!.license.expiresAt!)).toBeGreaterThan(Date.parse(before.expiresAt!) + 59 * DAY);
    expect(agent.license()).toMatchObject({ tier: before.tier, licenseId: before.licenseId });
  });

  it('adopts a license swapped in the way Kubernetes updates a mounted Secret, without a restart', async () => {
    const dir = await e2e.tempDir();
    const first = '..2026_12_03_10_00_00.123';
    await mkdir(path.join(dir, first));
    await writeFile(path.join(dir, first, 'license'), `${await mint({ sub: 'lic-k8s', tier: 'Pro' })}\n`);
    await symlink(first, path.join(dir, '..data'));
    await symlink('..data/license', path.join(dir, 'license'));
    const { agent, changes } = await startAgent(path.join(dir, 'license'));
    expect(agent.license()).toMatchObject({ licenseId: 'lic-k8s', tier: 'Pro' });

    // The kubelet's atomic writer: a new timestamped directory, a `..data_tmp` link to it renamed
    // over `..data`, and the old directory removed. `license` itself is never written.
    const second = '..2026_12_04_10_00_00.456';
    await mkdir(path.join(dir, second));
    await writeFile(path.join(dir, second, 'license'), `${await mint({ sub: 'lic-k8s', tier: 'Enterprise' })}\n`);
    await symlink(second, path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await rm(path.join(dir, first), { recursive: true });

    await waitFor(() => agent.license().tier === 'Enterprise', 3_000, 'the swapped-in license');
    expect(changes.map((change) => change.license.tier)).toEqual(['Enterprise']);
    expect(agent.status().mode).toBe('static-jwt');
  });

  it('adopts a license for another license id, refreshed on its own refresh_url and iat from then on', async () => {
    const server = await e2e.server();
    const file = await licenseFileWith(await mint({ sub: 'lic-old' }));
    const agent = e2e.agent({ licenseFile: file, trustedKeys: keys.jwks, stateDir: await e2e.tempDir(), refresh: { interval: '1h' }, random: () => 0 });
    await agent.start();
    expect(agent.status()).toMatchObject({ state: 'offline', endpoint: null });
    const issuedAt = Math.floor(Date.now() / 1000);

    await writeFile(file, await mintLicense(keys, { sub: 'lic-new', tier: 'Enterprise', refresh_url: server.refreshUrl, iat: issuedAt }, { now: Date.now() }));

    await waitFor(() => agent.license().licenseId === 'lic-new', 3_000, 'the new license id');
    expect(agent.status()).toMatchObject({
      mode: 'static-jwt',
      state: 'scheduled',
      endpoint: server.refreshUrl,
      nextRefreshAt: new Date(issuedAt * 1000 + 3_600_000).toISOString(),
    });
    expect(server.requests).toEqual([]);
  });
});

describe('a license file whose new content cannot be used', () => {
  it.each([
    ['garbage', async () => 'not a jwt at all', 'changed, but its license does not verify (license is malformed'],
    ['a license signed by an unknown key', async () => mint({ tier: 'Enterprise' }, { by: await generateIssuerKeys() }), 'changed, but its license does not verify (license is signed by an unknown key id'],
    ['a license expired past its grace period', async () => mint({ tier: 'Enterprise', validFor: DAY }, { issuedAgo: 40 * DAY }), 'past the grace period'],
    ['an empty file', async () => '\n', 'is empty'],
    ['an earlier issue of the license in force', async () => mint({ tier: 'Enterprise' }, { issuedAgo: 3_600_000 }), 'it is an earlier issue (iat) of the license in force, lic-file'],
  ])('keeps the license in force on %s, with a warning naming the file and why', async (_, content, why) => {
    const file = await licenseFileWith(await mint({ tier: 'Pro' }));
    const { agent, changes } = await startAgent(file);

    await writeFile(file, await content());

    const warning = await waitFor(() => warnings().find((msg) => msg.includes(why)), 3_000, 'the warning');
    expect(warning).toMatch(new RegExp(`^license file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*; keeping the license in force$`));
    expect(agent.license()).toMatchObject({ licenseId: 'lic-file', tier: 'Pro' });
    expect(changes).toEqual([]);
  });

  it('keeps the license in force when the file is removed, with one warning', async () => {
    const file = await licenseFileWith(await mint({ tier: 'Pro' }));
    const { agent } = await startAgent(file);

    await rm(file);

    await waitFor(() => warnings().includes(`license file ${file} does not exist; keeping the license in force`), 3_000, 'the warning');
    expect(agent.license().tier).toBe('Pro');
  });

  it('warns once per distinct content, and adopts the next license that verifies', async () => {
    const file = await licenseFileWith(await mint({ tier: 'Pro' }));
    const { agent } = await startAgent(file);
    const refusals = () => warnings().filter((msg) => msg.includes('does not verify'));

    await writeFile(file, 'garbage-one');
    await waitFor(() => refusals().length === 1, 3_000, 'the first warning');
    await writeFile(file, 'garbage-one\n');
    await sleep(500);
    expect(refusals()).toHaveLength(1);
    await writeFile(file, 'garbage-two');
    await waitFor(() => refusals().length === 2, 3_000, 'the second warning');

    await writeFile(file, await mint({ tier: 'Enterprise' }));
    await waitFor(() => agent.license().tier === 'Enterprise', 3_000, 'the license that verifies');
    expect(refusals()).toHaveLength(2);
  });

  it('stops following the file on stop()', async () => {
    const file = await licenseFileWith(await mint({ tier: 'Pro' }));
    const { agent, changes } = await startAgent(file);

    await agent.stop();
    await writeFile(file, await mint({ tier: 'Enterprise' }));
    await sleep(500);

    expect(agent.license().tier).toBe('Pro');
    expect(changes).toEqual([]);
    expect(e2e.logs.lines.filter((line) => line.msg.startsWith('license file'))).toEqual([]);
  });
});

describe('a license file that cannot be used at creation', () => {
  function creationError(licenseFile: string): LicenseConfigError {
    try {
      e2e.agent({ licenseFile, trustedKeys: keys.jwks });
    } catch (error) {
      expect(error).toBeInstanceOf(LicenseConfigError);
      return error as LicenseConfigError;
    }
    throw new Error('the agent was created');
  }

  it('is a LicenseConfigError naming the option, the path and why: missing, unreadable, empty', async () => {
    const dir = await e2e.tempDir();
    const missing = path.join(dir, 'missing.jwt');
    expect(creationError(missing).message).toBe(`invalid option licenseFile: ${JSON.stringify(missing)} does not exist`);

    const unreadable = path.join(dir, 'unreadable.jwt');
    if (process.getuid?.() === 0) {
      // chmod cannot deny root: a directory in its place cannot be read either.
      await mkdir(unreadable);
      expect(creationError(unreadable).message).toBe(`invalid option licenseFile: ${JSON.stringify(unreadable)} is a directory, not a file`);
    } else {
      await writeFile(unreadable, await mint({}), { mode: 0o000 });
      expect(creationError(unreadable).message).toBe(`invalid option licenseFile: ${JSON.stringify(unreadable)} cannot be read (permission denied)`);
    }

    const empty = path.join(dir, 'empty.jwt');
    await writeFile(empty, ' \n');
    expect(creationError(empty).message).toBe(`invalid option licenseFile: ${JSON.stringify(empty)} is empty`);
  });
});

/** A child process embedding the agent (`fixtures/license-file-agent.ts`), and what it printed. */
interface AgentChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Array<Record<string, unknown>>;
  /**
   * The next printed line with this `event` (one printed before counts), within 15 s: a child
   * that loads TypeScript through tsx can take seconds to start on a busy two-core machine.
   */
  next(event: string): Promise<Record<string, unknown>>;
  send(command: 'report' | 'stop'): void;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function spawnAgent(options: Record<string, unknown>, env: Record<string, string> = {}): AgentChild {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], LICENSE_FILE_AGENT_OPTIONS: JSON.stringify(options), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr });
    });
  });
  let taken = 0;
  return {
    child,
    lines,
    exit,
    async next(event) {
      const found = await waitFor(() => lines.slice(taken).find((line) => line['event'] === event), 15_000, `the child's ${event} line`);
      taken = lines.indexOf(found) + 1;
      return found;
    },
    send: (command) => void child.stdin.write(`${command}\n`),
  };
}

describe('SIGHUP in a real process', { timeout: 45_000 }, () => {
  /** A license file with a Pro license, and the agent options a child needs to run on it. */
  async function setUp(extra: Record<string, unknown> = {}) {
    const file = await licenseFileWith(await mint({ sub: 'lic-hup', tier: 'Pro' }));
    return { file, options: { licenseFile: file, trustedKeys: keys.jwks, stateDir: await e2e.tempDir(), ...extra } };
  }

  it('reloads the rewritten file on SIGHUP with reloadOnSighup, and removes its listener on stop', async () => {
    const { file, options } = await setUp({ reloadOnSighup: true });
    // No filesystem events: only SIGHUP can tell the agent of the change in time.
    const agent = spawnAgent(options, { FIXTURE_NO_FS_EVENTS: '1' });
    expect(await agent.next('started')).toMatchObject({ tier: 'Pro', sighupListeners: 1 });

    await writeFile(file, await mint({ sub: 'lic-hup', tier: 'Enterprise' }));
    await sleep(400);
    agent.send('report');
    expect(await agent.next('report')).toMatchObject({ tier: 'Pro' });
    agent.child.kill('SIGHUP');

    expect(await agent.next('licenseChanged')).toMatchObject({ licenseId: 'lic-hup', tier: 'Enterprise' });
    agent.send('stop');
    expect(await agent.next('stopped')).toMatchObject({ tier: 'Enterprise', sighupListeners: 0 });
    const exit = await agent.exit;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stderr).toContain('license file changed: adopted license lic-hup (Enterprise');
  });

  it('does not reload on SIGHUP without reloadOnSighup, and adds no listener of its own', async () => {
    const { file, options } = await setUp();
    const agent = spawnAgent(options, { FIXTURE_NO_FS_EVENTS: '1', FIXTURE_OWN_SIGHUP: '1' });
    expect(await agent.next('started')).toMatchObject({ tier: 'Pro', sighupListeners: 1 });

    await writeFile(file, await mint({ sub: 'lic-hup', tier: 'Enterprise' }));
    agent.child.kill('SIGHUP');
    await agent.next('sighup');
    await sleep(400);
    agent.send('report');

    expect(await agent.next('report')).toMatchObject({ tier: 'Pro', sighupListeners: 1 });
    agent.send('stop');
    await agent.next('stopped');
    expect(await agent.exit).toMatchObject({ code: 0, signal: null });
    expect(agent.lines.some((line) => line['event'] === 'licenseChanged')).toBe(false);
  });

  it('leaves Node\'s default for SIGHUP alone without reloadOnSighup: the signal ends the process', async () => {
    const { options } = await setUp();
    const agent = spawnAgent(options);
    expect(await agent.next('started')).toMatchObject({ sighupListeners: 0 });

    agent.child.kill('SIGHUP');

    expect(await agent.exit).toMatchObject({ code: null, signal: 'SIGHUP' });
  });

  it('adopts a rewritten file in the child through the directory watch, and exits by itself after stop()', async () => {
    const { file, options } = await setUp();
    const agent = spawnAgent(options);
    await agent.next('started');

    await writeFile(file, await mint({ sub: 'lic-hup', tier: 'Enterprise' }));

    expect(await agent.next('licenseChanged')).toMatchObject({ tier: 'Enterprise' });
    agent.send('stop');
    await agent.next('stopped');
    expect(await agent.exit).toMatchObject({ code: 0, signal: null });
  });
});
