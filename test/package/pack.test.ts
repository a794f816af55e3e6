/**
 * The package as a user gets it (see support/packed-package.ts): packed once from a clean copy of
 * the repository, installed into fresh projects, and used there as each kind of consumer uses it:
 * an ES module project, a CommonJS project calling `require()`, and TypeScript compiled to
 * CommonJS. The agents run against the reference license server, run here in the test process.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLicenseServer, type LicenseServer } from '../../src/issuer/index.js';
import { NAME, ROOT, outcome, packTarball, projectWith, runInProject, runScript } from './support/packed-package.js';

const API_KEY = 'sk-pack-test-key';

/** What npm runs in an installed package (and lists in its allowScripts warning). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

let workDir: string;
let projectDir: string;
let commonJsProjectDir: string;
let tarball: string;
let packedFiles: string[];
let server: LicenseServer | undefined;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-pack-'));
  ({ tarball, files: packedFiles } = await packTarball(workDir));
  // A package with no "type": its .js files are CommonJS, as in most projects that still require().
  [projectDir, commonJsProjectDir] = await Promise.all([
    projectWith(path.join(workDir, 'project'), tarball, { type: 'module' }),
    projectWith(path.join(workDir, 'commonjs-project'), tarball, {}),
  ]);
}, 180_000);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

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

  it('writes its metrics and registers them in a registry-shaped object without prom-client installed', async () => {
    const result = await runInProject(projectDir, `
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
    const result = await runInProject(projectDir, `
      import * as agent from '${NAME}';
      const names = Object.keys(agent).filter((name) => /^License[A-Za-z]*Error$/.test(name)).map((name) => new agent[name]('option', 'is wrong').name);
      console.log(JSON.stringify(names));
    `);

    expect(result).toEqual(['LicenseConfigError', 'LicenseError', 'LicenseHttpError', 'LicenseNetworkError', 'LicenseResponseError', 'LicenseStateDirError', 'LicenseVerificationError']);
  });

  it('exports the reference license server at softclient4es-license/issuer', async () => {
    const result = await runInProject(projectDir, `
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

  it('passes publint and arethetypeswrong (with the settings of .attw.json, as npm run check:package)', async () => {
    const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);

    const publint = await outcome(ROOT, bin('publint'), ['run', tarball, '--strict'], 30_000);
    const attw = await outcome(ROOT, bin('attw'), [tarball, '--format', 'ascii', '--no-color'], 60_000);

    expect(publint, publint.output).toMatchObject({ code: 0 });
    expect(attw, attw.output).toMatchObject({ code: 0 });
  }, 90_000);
});

/** Starts the reference server with a Pro license for the key; the file its keys are written to. */
async function licenseServerFor(sub: string): Promise<string> {
  server = await startLicenseServer({ apiKeys: { [API_KEY]: { sub, tier: 'Pro' } } });
  const keysFile = path.join(workDir, `trusted-keys-${sub}.json`);
  await writeFile(keysFile, JSON.stringify(server.keys.jwks));
  return keysFile;
}

/** The options of an agent licensed by the running reference server, as source text. */
function agentOptions(keysFile: string, stateDir: string): string {
  return `{
    version: '9.9.9',
    apiKey: ${JSON.stringify(API_KEY)},
    serverUrl: ${JSON.stringify(server?.url)},
    trustedKeys: JSON.parse(readFileSync(${JSON.stringify(keysFile)}, 'utf8')),
    stateDir: ${JSON.stringify(path.join(workDir, stateDir))},
    env: {},
  }`;
}

describe('an ES module consumer', () => {
  it('installs with no dev dependencies, imports by name, and licenses an agent from the reference server', async () => {
    const keysFile = await licenseServerFor('lic-packed');

    const result = await runInProject(projectDir, `
      import { readFileSync } from 'node:fs';
      import { createLicenseAgent } from '${NAME}';
      const agent = createLicenseAgent(${agentOptions(keysFile, 'state-esm')});
      await agent.start();
      const { tier, licenseId } = agent.license();
      await agent.stop();
      console.log(JSON.stringify({ tier, licenseId, mode: agent.status().mode }));
    `);

    expect(result).toEqual({ tier: 'Pro', licenseId: 'lic-packed', mode: 'api-key' });
    expect(server?.requests).toHaveLength(1);
  });

});

describe('a CommonJS consumer', () => {
  it('requires the package by name and licenses an agent from the reference server, with no warning', async () => {
    const keysFile = await licenseServerFor('lic-required');
    const file = path.join(commonJsProjectDir, 'license.cjs');
    await writeFile(file, `
      const { readFileSync } = require('node:fs');
      const { createLicenseAgent } = require('${NAME}');
      const agent = createLicenseAgent(${agentOptions(keysFile, 'state-cjs')});
      agent.start().then(async () => {
        const { tier, licenseId } = agent.license();
        await agent.stop();
        console.log(JSON.stringify({ tier, licenseId, mode: agent.status().mode }));
      });
    `);

    const { stdout, stderr } = await runScript(commonJsProjectDir, file);

    expect(JSON.parse(stdout)).toEqual({ tier: 'Pro', licenseId: 'lic-required', mode: 'api-key' });
    expect(stderr).not.toMatch(/Warning/);
  });

  it('gets from require() the very classes import() gets, so that instanceof holds across both', async () => {
    const result = await runInProject(commonJsProjectDir, `
      const required = require('${NAME}');
      let error;
      try {
        required.createLicenseAgent({ version: '9.9.9', apiKey: 'not-an-api-key', env: {} });
      } catch (thrown) {
        error = thrown;
      }
      import('${NAME}').then((imported) => {
        console.log(JSON.stringify({
          code: error.code,
          sameNamespace: imported === required,
          sameClass: imported.LicenseError === required.LicenseError,
          instanceOfImported: error instanceof imported.LicenseError && error instanceof imported.LicenseConfigError,
        }));
      });
    `, '.cjs');

    expect(result).toEqual({ code: 'ERR_LICENSE_CONFIG', sameNamespace: true, sameClass: true, instanceOfImported: true });
  });

  it('requires softclient4es-license/issuer and softclient4es-license/package.json', async () => {
    const result = await runInProject(commonJsProjectDir, `
      const { startLicenseServer } = require('${NAME}/issuer');
      const { version } = require('${NAME}/package.json');
      startLicenseServer({ apiKeys: {} }).then(async (server) => {
        const url = server.url;
        await server.close();
        console.log(JSON.stringify({ url, version }));
      });
    `, '.cjs');
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

    expect(result).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), version });
  });
});

describe('a TypeScript consumer compiled to CommonJS', () => {
  it('type-checks against the shipped declarations with "module": "nodenext", and its output runs', async () => {
    const dir = path.join(commonJsProjectDir, 'typescript');
    await mkdir(dir);
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        strict: true,
        outDir: 'out',
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules/@types')],
      },
      files: ['main.ts'],
    }));
    await writeFile(path.join(dir, 'main.ts'), typescriptConsumer(path.join(workDir, 'state-typescript')));

    const tsc = await outcome(dir, process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], 60_000);
    expect(tsc, tsc.output).toMatchObject({ code: 0 });
    const output = path.join(dir, 'out/main.js');
    expect(await readFile(output, 'utf8')).toContain(`require("${NAME}")`);

    const { stdout } = await runScript(dir, output);
    expect(JSON.parse(stdout)).toEqual({ tier: 'Pro', licenseId: 'lic-typescript', mode: 'api-key', code: 'ERR_LICENSE_CONFIG' });
  }, 60_000);
});

/** A CommonJS program in TypeScript: its own license server from /issuer, an agent, a typed error. */
const typescriptConsumer = (stateDir: string): string => `
import { createLicenseAgent, LicenseConfigError, LicenseError, type LicenseAgent } from '${NAME}';
import { startLicenseServer } from '${NAME}/issuer';

function configErrorCode(): string | undefined {
  try {
    createLicenseAgent({ version: '9.9.9', apiKey: 'not-an-api-key', env: {} });
  } catch (error) {
    if (error instanceof LicenseConfigError && error instanceof LicenseError) return error.code;
  }
  return undefined;
}

async function main(): Promise<void> {
  const server = await startLicenseServer({ apiKeys: { 'sk-typescript': { sub: 'lic-typescript', tier: 'Pro' } } });
  const agent: LicenseAgent = createLicenseAgent({
    version: '9.9.9',
    apiKey: 'sk-typescript',
    serverUrl: server.url,
    trustedKeys: server.keys.jwks,
    stateDir: ${JSON.stringify(stateDir)},
    env: {},
  });
  await agent.start();
  const { tier, licenseId } = agent.license();
  await agent.stop();
  await server.close();
  console.log(JSON.stringify({ tier, licenseId, mode: agent.status().mode, code: configErrorCode() }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
