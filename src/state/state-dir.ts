/**
 * Where the agent keeps its state (instance id, license cache), and creating that directory.
 * Order: the `stateDir` option, then `SOFTCLIENT4ES_HOME`, then `~/.softclient4es`, then the
 * platform data directory from env-paths when the process has no home directory at all.
 */
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LicenseStateDirError } from '../errors.js';
import { errnoCode } from './errno.js';

type EnvPaths = typeof import('env-paths').default;

/**
 * env-paths, loaded only when there is no home directory, or `undefined` when it cannot load.
 * env-paths calls os.homedir() while it loads, which throws for a user with neither HOME nor a
 * passwd entry (a container run with `--user 12345`): a static import would make this whole package
 * fail to load. Nor is it loaded by a top-level `await`, which would keep `require()` from loading
 * the package (Node's require(esm) refuses a module graph with one).
 */
async function loadEnvPaths(): Promise<EnvPaths | undefined> {
  return import('env-paths').then(
    (module) => module.default,
    () => undefined,
  );
}

/** Options of {@link resolveStateDir}. */
export interface ResolveStateDirOptions {
  /** The `stateDir` option: wins over everything else. */
  readonly stateDir?: string | undefined;
  /** The environment to read `SOFTCLIENT4ES_HOME` from, usually `process.env`. */
  readonly env: Record<string, string | undefined>;
  /** Returns the home directory; `os.homedir` unless a test replaces it. */
  readonly homedir?: (() => string) | undefined;
}

/**
 * The absolute path of the state directory. Computes a path only: nothing is created or checked.
 * Asynchronous only for the last resort, env-paths, which is loaded when it is needed.
 *
 * @throws {LicenseStateDirError} when no home directory exists and env-paths cannot compute one
 * either; setting `SOFTCLIENT4ES_HOME` or `stateDir` avoids it.
 *
 * @example
 * ```ts
 * const dir = await resolveStateDir({ stateDir: options.stateDir, env: process.env });
 * await ensureStateDir(dir);
 * ```
 */
export async function resolveStateDir(options: ResolveStateDirOptions): Promise<string> {
  if (options.stateDir) return path.resolve(options.stateDir);
  const fromEnv = options.env['SOFTCLIENT4ES_HOME'];
  if (fromEnv) return path.resolve(fromEnv);
  const home = homeOrEmpty(options.homedir ?? os.homedir);
  if (home) return path.resolve(home, '.softclient4es');
  const envPaths = await loadEnvPaths();
  if (envPaths) return path.resolve(envPaths('softclient4es', { suffix: '' }).data);
  throw new LicenseStateDirError(
    '',
    'cannot find a state directory: the process has no home directory; set SOFTCLIENT4ES_HOME or the stateDir option',
  );
}

function homeOrEmpty(homedir: () => string): string {
  try {
    return homedir();
  } catch {
    // No HOME and no passwd entry: not an error, just a reason to use the next candidate.
    return '';
  }
}

/**
 * Creates the state directory (and its parents) readable by the owner only, or checks that it
 * exists. An existing directory keeps the mode its owner gave it.
 *
 * @throws {LicenseStateDirError} when the directory cannot be created, or the path is not a directory.
 *
 * @example
 * ```ts
 * await ensureStateDir('/var/lib/softclient4es');
 * ```
 */
export async function ensureStateDir(dir: string): Promise<void> {
  let exists: unknown;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST means the path is there but is not a directory: the check below says so plainly.
    if (errnoCode(error) !== 'EEXIST') {
      throw new LicenseStateDirError(dir, `cannot create the state directory ${dir} (${errnoCode(error)})`, {
        cause: error,
      });
    }
    exists = error;
  }
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new LicenseStateDirError(dir, `cannot access the state directory ${dir} (${errnoCode(error)})`, {
      cause: error,
    });
  }
  if (!isDirectory) {
    const code = exists === undefined ? 'ENOTDIR' : errnoCode(exists);
    const message = `the state directory ${dir} exists but is not a directory (${code})`;
    throw new LicenseStateDirError(dir, message, exists === undefined ? undefined : { cause: exists });
  }
}
