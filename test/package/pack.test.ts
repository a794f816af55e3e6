/**
 * The package as a user gets it. A copy of the repository without `dist/` (a fresh clone, with a
 * link to node_modules) is packed with `npm pack`, whose `prepack` must build a complete `dist/`;
 * the tarball is installed with `npm install --omit=dev` into a fresh project, which then imports
 * the package by name, starts an agent against the reference license server (run here, in the test
 * process) and runs the binary. The copy keeps the repository's own `dist/` out of it: other tests
 * run the built CLI from there while this one builds.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLicenseServer, type LicenseServer } from '../../src/issuer/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NAME = 'softclient4es-license';
const API_KEY = 'sk-pack-test-key';
/** Not copied into the clean copy: what a fresh clone does not have, and what is never packed. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** npm's own settings that may be inherited; every other `npm_*` variable belongs to the npm that runs the tests. */
const NPM_SETTINGS = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig', 'npm_config_cafile']);

/** What npm runs in an installed package (and lists in its allowScripts warning). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

const run = promisify(execFile);

let workDir: string;
let projectDir: string;
let tarball: string;
let packedFiles: string[];
let server: LicenseServer | undefined;

/** The environment of npm and node children: ours, minus what the npm running the tests set for itself. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || NPM_SETTINGS.has(name.toLowerCase())).filter(([name]) => name !== 'INIT_CWD'),
  );
}

async function inDir(cwd: string, file: string, args: readonly string[], timeoutMs: number) {
  return run(file, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
}

/** Like {@link inDir}, but a failure is an outcome to assert on: the exit code and all output. */
async function outcome(cwd: string, file: string, args: readonly string[], timeoutMs: number) {
  try {
    const { stdout, stderr } = await inDir(cwd, file, args, timeoutMs);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: failure.code, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/** The repository as a fresh clone has it (no dist), with the dev dependencies already installed. */
async function cleanCopy(): Promise<string> {
  const source = path.join(workDir, 'source');
  await cp(ROOT, source, {
    recursive: true,
    filter: (from) => !NOT_IN_A_CLONE.has(path.relative(ROOT, from).split(path.sep)[0] ?? '') && !from.endsWith('.tgz'),
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  return source;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-pack-'));
  const source = await cleanCopy();
  const packDir = path.join(workDir, 'packed');
  await mkdir(packDir);
  await inDir(source, 'npm', ['pack', '--pack-destination', packDir], 90_000);
  const [file] = (await readdir(packDir)).filter((name) => name.endsWith('.tgz'));
  if (!file) throw new Error('npm pack wrote no tarball');
  tarball = path.join(packDir, file);
  const { stdout } = await inDir(workDir, 'tar', ['-tzf', tarball], 10_000);
  packedFiles = stdout.split('\n').filter(Boolean).map((entry) => entry.replace(/^package\//, ''));

  projectDir = path.join(workDir, 'project');
  await mkdir(projectDir);
  await writeFile(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'fresh-project', private: true, type: 'module' }));
  await inDir(projectDir, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], 60_000);
}, 180_000);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Runs `source` as an ES module in the fresh project; returns what it printed as JSON. */
async function runInProject(source: string): Promise<unknown> {
  const file = path.join(projectDir, `probe-${Date.now()}.mjs`);
  await writeFile(file, source);
  const child = spawn(process.execPath, [file], { cwd: projectDir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`the script exited with ${code}\n${stderr}`);
  return JSON.parse(stdout) as unknown;
}

describe('the packed package', () => {
  it('holds the bundled library, the issuer and the CLI, the statechart\'s types, and no source maps, demo or tests', () => {
    expect(packedFiles).toEqual(expect.arrayContaining([
      'package.json',
      'README.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/issuer/index.js',
      'dist/src/cli/main.js',
      'dist/machines/license-agent.machine.d.ts',
    ]));
    expect(packedFiles.filter((file) => file.endsWith('.map') || /^(src|test|machines|dist\/src\/demo|dist\/test)\//.test(file))).toEqual([]);
  });

  it('ships JavaScript without references to source maps it does not ship', async () => {
    const dist = path.join(projectDir, 'node_modules', NAME, 'dist');
    const files = (await readdir(dist, { recursive: true })).filter((file) => file.endsWith('.js'));
    const referencing = [];
    for (const file of files) {
      if ((await readFile(path.join(dist, file), 'utf8')).includes('sourceMappingURL')) referencing.push(file);
    }

    expect(files.length).toBeGreaterThan(0);
    expect(referencing).toEqual([]);
  });

  it('installs with no dev dependencies, imports by name, and licenses an agent from the reference server', async () => {
    server = await startLicenseServer({ apiKeys: { [API_KEY]: { sub: 'lic-packed', tier: 'Pro' } } });
    const keysFile = path.join(workDir, 'trusted-keys.json');
    await writeFile(keysFile, JSON.stringify(server.keys.jwks));

    const result = await runInProject(`
      import { readFileSync } from 'node:fs';
      import { createLicenseAgent } from '${NAME}';
      const agent = createLicenseAgent({
        version: '9.9.9',
        apiKey: ${JSON.stringify(API_KEY)},
        serverUrl: ${JSON.stringify(server.url)},
        trustedKeys: JSON.parse(readFileSync(${JSON.stringify(keysFile)}, 'utf8')),
        stateDir: ${JSON.stringify(path.join(workDir, 'state'))},
        env: {},
      });
      await agent.start();
      const { tier, licenseId } = agent.license();
      await agent.stop();
      console.log(JSON.stringify({ tier, licenseId, mode: agent.status().mode }));
    `);

    expect(result).toEqual({ tier: 'Pro', licenseId: 'lic-packed', mode: 'api-key' });
    expect(server.requests).toHaveLength(1);
  });

  it('writes its metrics and registers them in a registry-shaped object without prom-client installed', async () => {
    const result = await runInProject(`
      import { createRequire } from 'node:module';
      import { createLicenseAgent, registerLicenseMetrics, METRICS_CONTENT_TYPE } from '${NAME}';
      let promClient = 'installed';
      try { createRequire(import.meta.url).resolve('prom-client'); } catch { promClient = 'absent'; }
      const agent = createLicenseAgent({ version: '9.9.9', env: {}, stateDir: ${JSON.stringify(path.join(workDir, 'metrics-state'))} });
      const registered = [];
      registerLicenseMetrics(agent, { registerMetric: (metric) => registered.push(metric.name) });
      const text = agent.metrics();
      console.log(JSON.stringify({ promClient, eof: text.endsWith('# EOF\\n'), contentType: METRICS_CONTENT_TYPE.prometheus, registered: registered.length }));
    `);

    expect(result).toEqual({ promClient: 'absent', eof: true, contentType: 'text/plain; version=0.0.4; charset=utf-8', registered: 10 });
  });

  it('ships one module per entry point, not one per source file', () => {
    const modules = packedFiles.filter((file) => file.endsWith('.js'));

    expect(modules).toEqual(expect.arrayContaining(['dist/src/index.js', 'dist/src/issuer/index.js', 'dist/src/cli/main.js']));
    expect(modules.filter((file) => !file.startsWith('dist/src/chunks/') && !['dist/src/index.js', 'dist/src/issuer/index.js', 'dist/src/cli/main.js'].includes(file))).toEqual([]);
  });

  it('keeps the error classes\' names through bundling', async () => {
    const result = await runInProject(`
      import * as agent from '${NAME}';
      const names = Object.keys(agent).filter((name) => /^License[A-Za-z]*Error$/.test(name)).map((name) => new agent[name]('option', 'is wrong').name);
      console.log(JSON.stringify(names));
    `);

    expect(result).toEqual(['LicenseConfigError', 'LicenseError', 'LicenseHttpError', 'LicenseNetworkError', 'LicenseResponseError', 'LicenseStateDirError', 'LicenseVerificationError']);
  });

  it('exports the reference license server at softclient4es-license/issuer', async () => {
    const result = await runInProject(`
      import { startLicenseServer } from '${NAME}/issuer';
      const server = await startLicenseServer({ apiKeys: {} });
      const url = server.url;
      await server.close();
      console.log(JSON.stringify({ url }));
    `);

    expect(result).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('runs `npx softclient4es-license --help` with exit code 0', async () => {
    // --no: the installed binary or nothing; without it a missing binary would be downloaded.
    const help = await outcome(projectDir, 'npx', ['--no', '--', NAME, '--help'], 20_000);

    expect(help, help.output).toMatchObject({ code: 0, output: expect.stringMatching(/^Usage: softclient4es-license <command>/) });
  });

  it('runs no script of its own when installed', async () => {
    const installed = JSON.parse(await readFile(path.join(projectDir, 'node_modules', NAME, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };

    expect(Object.keys(installed.scripts ?? {}).filter((name) => INSTALL_SCRIPTS.includes(name))).toEqual([]);
  });

  it('installs the binary executable', async () => {
    const { mode } = await stat(path.join(projectDir, 'node_modules', NAME, 'dist/src/cli/main.js'));

    expect(mode & 0o111).not.toBe(0);
  });

  it('passes publint and arethetypeswrong for an ESM-only package', async () => {
    const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);

    const publint = await outcome(ROOT, bin('publint'), ['run', tarball, '--strict'], 30_000);
    const attw = await outcome(ROOT, bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], 60_000);

    expect(publint, publint.output).toMatchObject({ code: 0 });
    expect(attw, attw.output).toMatchObject({ code: 0 });
  }, 90_000);
});
