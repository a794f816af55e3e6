/**
 * Credentials in files (`licenseFile`, `apiKeyFile` and their `_FILE` variables): read and trimmed
 * when the agent is created, and refused at once, with a `LicenseConfigError` naming the setting,
 * the path and why, when they cannot be used. Real files in a temporary directory.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLicenseAgent } from '../../src/agent/license-agent.js';
import { KNOWN_OPTIONS, type LicenseAgentOptions } from '../../src/config/options.js';
import { mergeOptions, loadConfig } from '../../src/config/environment.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { LicenseConfigError } from '../../src/errors.js';

const silent = pino({ level: 'silent' });
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsaWMtZmlsZSJ9.c2lnbmF0dXJl';
const API_KEY = 'sk-file_key_123';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-credentials-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

/** The config the agent would run on, built as `createLicenseAgent` builds it. */
function configOf(options: Partial<LicenseAgentOptions>, env: Record<string, string | undefined> = {}) {
  return resolveConfig(mergeOptions(loadConfig(env), { version: '1.2.3', ...options }), env);
}

/** The `LicenseConfigError` that creating an agent throws. */
function creationError(options: Partial<LicenseAgentOptions>, env: Record<string, string | undefined> = {}): LicenseConfigError {
  try {
    createLicenseAgent({ version: '1.2.3', env, logger: silent, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(LicenseConfigError);
    return error as LicenseConfigError;
  }
  throw new Error('createLicenseAgent accepted the configuration');
}

describe('reading a credential file', () => {
  it('takes the license key from licenseFile, trimmed, and remembers the file to watch', async () => {
    const file = await fileWith('license.jwt', `\n  ${JWT}\n\n`);
    const config = configOf({ licenseFile: file });
    expect(config.licenseKey).toBe(JWT);
    expect(config.licenseFile).toEqual({ path: file, setting: 'licenseFile' });
  });

  it('takes the license key from SOFTCLIENT4ES_LICENSE_KEY_FILE, naming the variable as its source', async () => {
    const file = await fileWith('license.jwt', `${JWT}\n`);
    const config = configOf({}, { SOFTCLIENT4ES_LICENSE_KEY_FILE: file });
    expect(config.licenseKey).toBe(JWT);
    expect(config.licenseFile).toEqual({ path: file, setting: 'SOFTCLIENT4ES_LICENSE_KEY_FILE' });
  });

  it('takes the API key from apiKeyFile or SOFTCLIENT4ES_API_KEY_FILE, trimmed', async () => {
    const file = await fileWith('api-key', `${API_KEY}\n`);
    expect(configOf({ apiKeyFile: file }).apiKey).toBe(API_KEY);
    expect(configOf({}, { SOFTCLIENT4ES_API_KEY_FILE: file }).apiKey).toBe(API_KEY);
  });

  it('has no license file and no SIGHUP reload unless configured', () => {
    const config = configOf({ licenseKey: JWT });
    expect(config.licenseFile).toBeUndefined();
    expect(config.reloadOnSighup).toBe(false);
  });

  it('knows the new options', () => {
    for (const name of ['licenseFile', 'apiKeyFile', 'reloadOnSighup']) expect(KNOWN_OPTIONS.topLevel.has(name)).toBe(true);
  });
});

describe('a credential set twice', () => {
  it('refuses licenseKey with licenseFile, naming both', async () => {
    const error = creationError({ licenseKey: JWT, licenseFile: await fileWith('license.jwt', JWT) });
    expect(error.option).toBe('licenseFile');
    expect(error.message).toBe('invalid option licenseFile: is set together with licenseKey: set one of them, not both');
  });

  it('refuses SOFTCLIENT4ES_LICENSE_KEY with SOFTCLIENT4ES_LICENSE_KEY_FILE, naming both', async () => {
    const error = creationError({}, { SOFTCLIENT4ES_LICENSE_KEY: JWT, SOFTCLIENT4ES_LICENSE_KEY_FILE: await fileWith('license.jwt', JWT) });
    expect(error.option).toBe('SOFTCLIENT4ES_LICENSE_KEY_FILE');
    expect(error.message).toContain('SOFTCLIENT4ES_LICENSE_KEY:');
    expect(error.message).not.toContain(JWT);
  });

  it('refuses apiKey with apiKeyFile, and SOFTCLIENT4ES_API_KEY with SOFTCLIENT4ES_API_KEY_FILE, naming both', async () => {
    const file = await fileWith('api-key', API_KEY);
    const options = creationError({ apiKey: API_KEY, apiKeyFile: file });
    expect(options.message).toBe('invalid option apiKeyFile: is set together with apiKey: set one of them, not both');
    const variables = creationError({}, { SOFTCLIENT4ES_API_KEY: API_KEY, SOFTCLIENT4ES_API_KEY_FILE: file });
    expect(variables.message).toBe('invalid option SOFTCLIENT4ES_API_KEY_FILE: is set together with SOFTCLIENT4ES_API_KEY: set one of them, not both');
  });

  it('lets an explicit licenseKey win over the environment\'s license file, which is then not read', () => {
    const config = configOf({ licenseKey: JWT }, { SOFTCLIENT4ES_LICENSE_KEY_FILE: path.join(dir, 'missing') });
    expect(config.licenseKey).toBe(JWT);
    expect(config.licenseFile).toBeUndefined();
  });

  it('lets an explicit licenseFile win over SOFTCLIENT4ES_LICENSE_KEY', async () => {
    const file = await fileWith('license.jwt', JWT);
    const config = configOf({ licenseFile: file }, { SOFTCLIENT4ES_LICENSE_KEY: 'eyJother.jwt.value' });
    expect(config.licenseKey).toBe(JWT);
  });
});

describe('a credential file that cannot be used', () => {
  it('refuses a license file that does not exist, naming the option and the path', () => {
    const file = path.join(dir, 'license.jwt');
    const error = creationError({ licenseFile: file });
    expect(error.option).toBe('licenseFile');
    expect(error.message).toBe(`invalid option licenseFile: ${JSON.stringify(file)} does not exist`);
  });

  it('refuses a missing SOFTCLIENT4ES_LICENSE_KEY_FILE, naming the variable', () => {
    const file = path.join(dir, 'secret', 'license');
    const error = creationError({}, { SOFTCLIENT4ES_LICENSE_KEY_FILE: file });
    expect(error.message).toBe(`invalid option SOFTCLIENT4ES_LICENSE_KEY_FILE: ${JSON.stringify(file)} does not exist`);
  });

  it('refuses a file it cannot read (permission denied; a directory where chmod cannot deny root)', async () => {
    const file = path.join(dir, 'license.jwt');
    if (process.getuid?.() === 0) {
      await mkdir(file);
      expect(creationError({ licenseFile: file }).message).toBe(`invalid option licenseFile: ${JSON.stringify(file)} is a directory, not a file`);
    } else {
      await writeFile(file, JWT, { mode: 0o000 });
      expect(creationError({ licenseFile: file }).message).toBe(`invalid option licenseFile: ${JSON.stringify(file)} cannot be read (permission denied)`);
    }
  });

  it.each([['an empty file', ''], ['a file of whitespace', ' \n\t\n']])('refuses %s', async (_, text) => {
    const file = await fileWith('license.jwt', text);
    expect(creationError({ licenseFile: file }).message).toBe(`invalid option licenseFile: ${JSON.stringify(file)} is empty`);
  });

  it('refuses an empty SOFTCLIENT4ES_API_KEY_FILE, naming the variable', async () => {
    const file = await fileWith('api-key', '\n');
    expect(creationError({}, { SOFTCLIENT4ES_API_KEY_FILE: file }).message).toBe(
      `invalid option SOFTCLIENT4ES_API_KEY_FILE: ${JSON.stringify(file)} is empty`,
    );
  });

  it('refuses an API key file that holds no API key, without quoting what it holds', async () => {
    const file = await fileWith('api-key', JWT);
    const error = creationError({ apiKeyFile: file });
    expect(error.option).toBe('apiKeyFile');
    expect(error.message).toContain(`${JSON.stringify(file)} holds no usable API key (invalid API key format`);
    expect(error.message).not.toContain(JWT);
  });

  it('refuses a file too large to be a credential', async () => {
    const file = await fileWith('license.jwt', 'x'.repeat(70_000));
    expect(creationError({ licenseFile: file }).message).toContain('is larger than 65536 bytes');
  });

  it('refuses a path that is not a non-empty string', () => {
    expect(creationError({ licenseFile: '  ' }).message).toBe('invalid option licenseFile: must be a non-empty string (a path)');
    expect(creationError({ apiKeyFile: 42 as unknown as string }).option).toBe('apiKeyFile');
  });

  it('refuses a reloadOnSighup that is not a boolean', () => {
    expect(creationError({ reloadOnSighup: 'yes' as unknown as boolean }).option).toBe('reloadOnSighup');
  });

  it('touches nothing on disk: no state directory made, the file\'s directory as it was', async () => {
    const stateDir = path.join(dir, 'state');
    await fileWith('empty.jwt', '');
    creationError({ licenseFile: path.join(dir, 'empty.jwt'), stateDir });
    creationError({ licenseFile: path.join(dir, 'missing.jwt'), stateDir });
    expect(await readdir(dir)).toEqual(['empty.jwt']);
  });
});
