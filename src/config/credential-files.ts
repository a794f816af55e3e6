/**
 * Credentials kept in files, after the `_FILE` convention of container images: the `licenseFile`
 * option or `SOFTCLIENT4ES_LICENSE_KEY_FILE` holds what `licenseKey` would, the `apiKeyFile` option
 * or `SOFTCLIENT4ES_API_KEY_FILE` what `apiKey` would (a Kubernetes Secret mounted as a volume is
 * such a file). This module owns reading them: once, when the agent is created, where any problem is
 * a `LicenseConfigError` naming the setting, the path and why; and again, for the license file, each
 * time it changes (`src/agent/license-file-watch.ts`). It only ever reads.
 */
import type { Stats } from 'node:fs';
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { LicenseConfigError } from '../errors.js';
import { errnoCode } from '../state/errno.js';
import type { LicenseAgentOptions, LicenseFileSource } from './options.js';

/** A credential is a few hundred bytes; a larger file is not one (a log, a certificate bundle). */
export const MAX_CREDENTIAL_FILE_BYTES = 64 * 1024;

/** The settings of one credential: the option with the value, the one with its file, and their variables. */
export interface CredentialSettings {
  readonly value: 'licenseKey' | 'apiKey';
  readonly file: 'licenseFile' | 'apiKeyFile';
  readonly variable: string;
  readonly fileVariable: string;
}

/** The license JWT: `licenseKey` / `SOFTCLIENT4ES_LICENSE_KEY`, or its file. */
export const LICENSE_KEY_SETTINGS: CredentialSettings = Object.freeze({
  value: 'licenseKey',
  file: 'licenseFile',
  variable: 'SOFTCLIENT4ES_LICENSE_KEY',
  fileVariable: 'SOFTCLIENT4ES_LICENSE_KEY_FILE',
});

/** The API key: `apiKey` / `SOFTCLIENT4ES_API_KEY`, or its file. */
export const API_KEY_SETTINGS: CredentialSettings = Object.freeze({
  value: 'apiKey',
  file: 'apiKeyFile',
  variable: 'SOFTCLIENT4ES_API_KEY',
  fileVariable: 'SOFTCLIENT4ES_API_KEY_FILE',
});

/** What reading a credential file gave: its trimmed text, or why there is none, in an operator's words. */
export type CredentialRead = { readonly text: string } | { readonly problem: string };

/** Why a file could not be read, from the error of `stat` or `read` (no stack, no raw message). */
function readProblem(error: unknown): string {
  const code = errnoCode(error);
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a part of its path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ELOOP':
      return 'cannot be read (a loop of symbolic links)';
    default:
      return `cannot be read (${code})`;
  }
}

/** Why a file of this kind is no credential (a directory, a FIFO that would block, too large), if it is not. */
function kindProblem(info: Stats): string | undefined {
  if (info.isDirectory()) return 'is a directory, not a file';
  if (!info.isFile()) return 'is not a regular file';
  if (info.size > MAX_CREDENTIAL_FILE_BYTES) return `is larger than ${MAX_CREDENTIAL_FILE_BYTES} bytes (${info.size} bytes): not a credential`;
  return undefined;
}

function contents(text: string): CredentialRead {
  if (Buffer.byteLength(text) > MAX_CREDENTIAL_FILE_BYTES) return { problem: `is larger than ${MAX_CREDENTIAL_FILE_BYTES} bytes: not a credential` };
  const trimmed = text.trim();
  return trimmed ? { text: trimmed } : { problem: 'is empty' };
}

/**
 * Reads a credential file now, following symbolic links (a mounted Secret is a chain of them).
 *
 * @example
 * ```ts
 * const read = readCredentialFileSync('/run/secrets/license.jwt');
 * if ('problem' in read) console.error(`license file ${read.problem}`);
 * ```
 */
export function readCredentialFileSync(file: string): CredentialRead {
  try {
    const problem = kindProblem(statSync(file));
    return problem ? { problem } : contents(readFileSync(file, 'utf8'));
  } catch (error) {
    return { problem: readProblem(error) };
  }
}

/**
 * Reads a credential file, as {@link readCredentialFileSync} does, without blocking.
 *
 * @example
 * ```ts
 * const read = await readCredentialFile('/run/secrets/license.jwt');
 * ```
 */
export async function readCredentialFile(file: string): Promise<CredentialRead> {
  try {
    const problem = kindProblem(await stat(file));
    return problem ? { problem } : contents(await readFile(file, 'utf8'));
  } catch (error) {
    return { problem: readProblem(error) };
  }
}

/**
 * The setting that named `file`, as the operator wrote it: the variable when the environment holds
 * that very path (options merged over the environment no longer tell), else the option.
 */
function settingOf(settings: CredentialSettings, file: string, env: Record<string, string | undefined>): string {
  return env[settings.fileVariable]?.trim() === file ? settings.fileVariable : settings.file;
}

/** A credential read from its file, with where it came from. */
export interface CredentialFromFile extends LicenseFileSource {
  readonly text: string;
}

/**
 * The credential's file, read, when the options (already merged with the environment) name one;
 * `undefined` when they do not. Throws a `LicenseConfigError` for a file set beside the value, a
 * path that is not a string, and a file that is missing, unreadable or empty.
 *
 * @example
 * ```ts
 * const file = credentialFromFile({ version: '1.2.3', licenseFile: '/run/secrets/license.jwt' }, process.env, LICENSE_KEY_SETTINGS);
 * ```
 */
export function credentialFromFile(
  options: LicenseAgentOptions,
  env: Record<string, string | undefined>,
  settings: CredentialSettings,
): CredentialFromFile | undefined {
  const file = options[settings.file];
  if (file === undefined) return undefined;
  if (typeof file !== 'string' || file.trim().length === 0) throw new LicenseConfigError(settings.file, 'must be a non-empty string (a path)');
  // Both from the environment was refused by loadConfig, and mergeOptions takes a credential whole
  // from one layer: both here were passed as options.
  if (options[settings.value] !== undefined) {
    throw new LicenseConfigError(settings.file, `is set together with ${settings.value}: set one of them, not both`);
  }
  const path = file.trim();
  const setting = settingOf(settings, path, env);
  const read = readCredentialFileSync(path);
  if ('problem' in read) throw new LicenseConfigError(setting, `${JSON.stringify(path)} ${read.problem}`);
  return { path, setting, text: read.text };
}
