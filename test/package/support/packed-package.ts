/**
 * The package as a user gets it: a copy of the repository without `dist/` (a fresh clone, with a
 * link to node_modules) packed with `npm pack`, whose `prepack` must build a complete `dist/`, and
 * fresh projects that install the tarball from it. The copy keeps the repository's own `dist/` out
 * of it: other tests run the built CLI from there while this one builds.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const NAME = 'softclient4es-license';

/** Not copied into the clean copy: what a fresh clone does not have, and what is never packed. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** npm's own settings that may be inherited; every other `npm_*` variable belongs to the npm that runs the tests. */
const NPM_SETTINGS = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig', 'npm_config_cafile']);

const run = promisify(execFile);

/** The environment of npm and node children: ours, minus what the npm running the tests set for itself. */
export function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || NPM_SETTINGS.has(name.toLowerCase())).filter(([name]) => name !== 'INIT_CWD'),
  );
}

/** Runs `file` in `cwd`; rejects when it exits with anything but 0. */
export async function inDir(cwd: string, file: string, args: readonly string[], timeoutMs: number) {
  return run(file, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
}

/** Like {@link inDir}, but a failure is an outcome to assert on: the exit code and all output. */
export async function outcome(cwd: string, file: string, args: readonly string[], timeoutMs: number) {
  try {
    const { stdout, stderr } = await inDir(cwd, file, args, timeoutMs);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: failure.code, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/** The repository as a fresh clone has it (no dist), with the dev dependencies already installed. */
async function cleanCopy(workDir: string): Promise<string> {
  const source = path.join(workDir, 'source');
  await cp(ROOT, source, {
    recursive: true,
    filter: (from) => !NOT_IN_A_CLONE.has(path.relative(ROOT, from).split(path.sep)[0] ?? '') && !from.endsWith('.tgz'),
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  return source;
}

/** Packs a clean copy of the repository into `workDir/packed`; the tarball's path and the files in it. */
export async function packTarball(workDir: string): Promise<{ tarball: string; files: string[] }> {
  const source = await cleanCopy(workDir);
  const packDir = path.join(workDir, 'packed');
  await mkdir(packDir);
  await inDir(source, 'npm', ['pack', '--pack-destination', packDir], 90_000);
  const [file] = (await readdir(packDir)).filter((name) => name.endsWith('.tgz'));
  if (!file) throw new Error('npm pack wrote no tarball');
  const tarball = path.join(packDir, file);
  const { stdout } = await inDir(workDir, 'tar', ['-tzf', tarball], 10_000);
  const files = stdout.split('\n').filter(Boolean).map((entry) => entry.replace(/^package\//, ''));
  return { tarball, files };
}

/**
 * A fresh project in `dir` with the given package.json fields, the tarball installed in it with its
 * dependencies from the registry (and no dev dependencies).
 */
export async function projectWith(dir: string, tarball: string, fields: Record<string, unknown>): Promise<string> {
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true, ...fields }));
  await inDir(dir, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], 60_000);
  return dir;
}

/** What a script printed, once it exited with 0; rejects with its stderr otherwise. */
export interface ScriptOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file` (relative to `projectDir`) with this Node, in the project. */
export async function runScript(projectDir: string, file: string): Promise<ScriptOutput> {
  const child = spawn(process.execPath, [file], { cwd: projectDir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${file} exited with ${code}\n${stderr}`);
  return { stdout, stderr };
}

let probes = 0;

/** Writes `source` to a new file ending in `extension` in the project, runs it and parses what it printed as JSON. */
export async function runInProject(projectDir: string, source: string, extension = '.mjs'): Promise<unknown> {
  const file = `probe-${++probes}${extension}`;
  await writeFile(path.join(projectDir, file), source);
  return JSON.parse((await runScript(projectDir, file)).stdout) as unknown;
}
