/**
 * What every command needs to build an agent: the configuration from the environment (the same
 * variables as the library), the version to report (this package's, or `SOFTCLIENT4ES_VERSION`),
 * and the trusted keys (the shipped ones, or an explicit `--trusted-keys` file: never the
 * environment, since a license anyone can sign is no license).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { createLicenseAgent, type LicenseAgent } from '../agent/license-agent.js';
import { DEFAULT_TRUSTED_KEYS } from '../license/keys.js';
import { loadConfig, mergeOptions } from '../config/environment.js';
import { resolveConfig } from '../config/resolve.js';
import { type AgentConfig, type LicenseAgentOptions } from '../config/options.js';
import { errnoCode } from '../state/errno.js';
import { resolveStateDir } from '../state/state-dir.js';
import { UsageError, type GlobalValues } from './args.js';

const PACKAGE_NAME = 'softclient4es-license';

/** The root of this package: the nearest directory above this module with our package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === PACKAGE_NAME) return dir;
    } catch {
      // No package.json here, or not ours: keep climbing.
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${PACKAGE_NAME}`);
    dir = parent;
  }
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/** The version sent in request bodies: `SOFTCLIENT4ES_VERSION`, or this package's version. */
export function reportedVersion(env: Record<string, string | undefined>): string {
  return env['SOFTCLIENT4ES_VERSION']?.trim() || packageVersion();
}

/**
 * The JWKS in `file`, for `--trusted-keys`.
 *
 * @throws {UsageError} when the file cannot be read, is not JSON, or is not a JWKS.
 */
export async function readTrustedKeysFile(file: string): Promise<JSONWebKeySet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--trusted-keys: cannot read ${file} (${errnoCode(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--trusted-keys: ${file} is not JSON`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new UsageError(`--trusted-keys: ${file} is not a JWKS ({ "keys": [...] })`);
  return value as JSONWebKeySet;
}

/** The settings every command starts from. */
export interface CliSettings {
  readonly env: Record<string, string | undefined>;
  readonly version: string;
  readonly trustedKeys: JSONWebKeySet;
  /** The validated configuration: a bad variable has already thrown a `LicenseConfigError`. */
  readonly config: AgentConfig;
}

/**
 * Reads and validates the configuration for a command.
 *
 * @throws {LicenseConfigError} naming the variable at fault; {@link UsageError} for a bad `--trusted-keys`.
 */
export async function loadSettings(env: Record<string, string | undefined>, globals: GlobalValues): Promise<CliSettings> {
  const version = reportedVersion(env);
  const trustedKeys = globals.trustedKeysFile === undefined ? DEFAULT_TRUSTED_KEYS : await readTrustedKeysFile(globals.trustedKeysFile);
  const config = resolveConfig(mergeOptions(loadConfig(env), { version, trustedKeys }), env);
  return { env, version, trustedKeys, config };
}

/** The state directory the agent would use (computed, not created). */
export async function stateDirOf(settings: CliSettings): Promise<string> {
  return resolveStateDir({ stateDir: settings.config.stateDir, env: settings.env });
}

/** An agent configured like the library would be from this environment, logging to `logger`. */
export function createCliAgent(settings: CliSettings, logger: Logger, extra: Partial<LicenseAgentOptions> = {}): LicenseAgent {
  return createLicenseAgent({ version: settings.version, trustedKeys: settings.trustedKeys, logger, env: settings.env, ...extra });
}
