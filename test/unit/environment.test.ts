import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLicenseAgent } from '../../src/agent/license-agent.js';
import { LicenseConfigError } from '../../src/errors.js';
import { ENVIRONMENT_VARIABLES, loadConfig, mergeOptions, telemetryOptedOut } from '../../src/config/environment.js';
import { type LicenseAgentOptions } from '../../src/config/options.js';

const silent = pino({ level: 'silent' });

/** What each variable, set to the given value, yields from `loadConfig`. */
const VARIABLE_CASES: Record<keyof typeof ENVIRONMENT_VARIABLES, [string, Partial<LicenseAgentOptions>]> = {
  SOFTCLIENT4ES_API_KEY: ['sk-key-123', { apiKey: 'sk-key-123' }],
  SOFTCLIENT4ES_API_KEY_FILE: ['/run/secrets/api-key', { apiKeyFile: '/run/secrets/api-key' }],
  SOFTCLIENT4ES_LICENSE_KEY: ['eyJ.header.sig', { licenseKey: 'eyJ.header.sig' }],
  SOFTCLIENT4ES_LICENSE_KEY_FILE: ['/run/secrets/license', { licenseFile: '/run/secrets/license' }],
  SOFTCLIENT4ES_HOME: ['/srv/softclient4es', { stateDir: '/srv/softclient4es' }],
  SOFTCLIENT4ES_LICENSE_SERVER_URL: ['https://licenses.example.com', { serverUrl: 'https://licenses.example.com' }],
  SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS: ['https://licenses.example.com, https://backup.example.com:8443', { refreshOrigins: ['https://licenses.example.com', 'https://backup.example.com:8443'] }],
  SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: ['false', { refresh: { enabled: false } }],
  SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: ['12h', { refresh: { interval: '12h' } }],
  SOFTCLIENT4ES_LICENSE_REFRESH_JITTER: ['0.1', { refresh: { jitter: 0.1 } }],
  SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: ['false', { telemetry: { enabled: false } }],
  SOFTCLIENT4ES_TELEMETRY_ENABLED: ['false', { telemetry: { enabled: false } }],
  DO_NOT_TRACK: ['1', { telemetry: { enabled: false } }],
  SOFTCLIENT4ES_LICENSE_CONNECT_TIMEOUT: ['2s', { connectTimeout: '2s' }],
  SOFTCLIENT4ES_LICENSE_READ_TIMEOUT: ['3s', { readTimeout: '3s' }],
  SOFTCLIENT4ES_LICENSE_GRACE_PERIOD: ['7d', { gracePeriod: '7d' }],
  SOFTCLIENT4ES_INSTANCE_ID: ['6f1c1a52-8d0e-4b8a-9c41-2f7f0b1e9a3d', { instanceId: '6f1c1a52-8d0e-4b8a-9c41-2f7f0b1e9a3d' }],
};

const BOOLEAN_VARIABLES = [
  'SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED',
  'SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED',
  'SOFTCLIENT4ES_TELEMETRY_ENABLED',
] as const;

function optionAt(options: object, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], options);
}

function expectConfigError(run: () => unknown, option: string): LicenseConfigError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LicenseConfigError);
  const error = thrown as LicenseConfigError;
  expect(error.code).toBe('ERR_LICENSE_CONFIG');
  expect(error.option).toBe(option);
  expect(error.message).toContain(option);
  return error;
}

describe('loadConfig', () => {
  it('has a case here for every documented variable', () => {
    expect(Object.keys(VARIABLE_CASES).sort()).toEqual(Object.keys(ENVIRONMENT_VARIABLES).sort());
  });

  it.each(Object.entries(VARIABLE_CASES))('maps %s to its option and nothing else', (name, [value, expected]) => {
    const options = loadConfig({ [name]: value });
    expect(options).toEqual(expected);
    const documented = ENVIRONMENT_VARIABLES[name as keyof typeof ENVIRONMENT_VARIABLES].split(' ')[0] as string;
    expect(optionAt(options, documented)).toBeDefined();
  });

  it('returns nothing for an empty environment', () => {
    expect(loadConfig({})).toEqual({});
  });

  it('treats blank variables as unset', () => {
    const blank = Object.fromEntries(Object.keys(ENVIRONMENT_VARIABLES).map((name) => [name, '  ']));
    expect(loadConfig(blank)).toEqual({});
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ HOME: '/home/me', PATH: '/usr/bin', SOFTCLIENT4ES_COLOR: 'blue' })).toEqual({});
  });

  it('trims the values it reads', () => {
    expect(loadConfig({ SOFTCLIENT4ES_API_KEY: '  sk-key-123\n' })).toEqual({ apiKey: 'sk-key-123' });
  });

  it('combines the refresh variables into one refresh option', () => {
    expect(loadConfig({ SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: 'yes', SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: '90s' })).toEqual({
      refresh: { enabled: true, interval: '90s' },
    });
  });

  it.each([
    ['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false], ['TRUE', true], [' No ', false],
  ])('reads the boolean %j as %s', (value, expected) => {
    for (const name of BOOLEAN_VARIABLES) {
      expect(optionAt(loadConfig({ [name]: value }), ENVIRONMENT_VARIABLES[name])).toBe(expected);
    }
  });

  it.each(BOOLEAN_VARIABLES)('rejects %s=maybe, naming the variable', (name) => {
    const error = expectConfigError(() => loadConfig({ [name]: 'maybe' }), name);
    expect(error.message).toContain('maybe');
  });

  it('rejects SOFTCLIENT4ES_TELEMETRY_ENABLED=maybe even when SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED is set', () => {
    expectConfigError(
      () => loadConfig({ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'true', SOFTCLIENT4ES_TELEMETRY_ENABLED: 'maybe' }),
      'SOFTCLIENT4ES_TELEMETRY_ENABLED',
    );
  });

  it.each(['SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL', 'SOFTCLIENT4ES_LICENSE_CONNECT_TIMEOUT', 'SOFTCLIENT4ES_LICENSE_READ_TIMEOUT'])(
    'rejects a %s that is not a duration, naming the variable',
    (name) => {
      expectConfigError(() => loadConfig({ [name]: 'soon' }), name);
    },
  );

  it('rejects a jitter that is not a number, naming the variable', () => {
    expectConfigError(() => loadConfig({ SOFTCLIENT4ES_LICENSE_REFRESH_JITTER: 'a little' }), 'SOFTCLIENT4ES_LICENSE_REFRESH_JITTER');
  });

  it('turns telemetry off for DO_NOT_TRACK=1', () => {
    expect(loadConfig({ DO_NOT_TRACK: '1' })).toEqual({ telemetry: { enabled: false } });
  });

  it('turns telemetry off for SOFTCLIENT4ES_TELEMETRY_ENABLED=false', () => {
    expect(loadConfig({ SOFTCLIENT4ES_TELEMETRY_ENABLED: 'false' })).toEqual({ telemetry: { enabled: false } });
  });

  it('turns telemetry off when one variable says off and another says on', () => {
    expect(loadConfig({ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'true', SOFTCLIENT4ES_TELEMETRY_ENABLED: 'false' })).toEqual({
      telemetry: { enabled: false },
    });
    expect(loadConfig({ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'true', DO_NOT_TRACK: '1' })).toEqual({ telemetry: { enabled: false } });
  });

  it('never reads trusted keys from the environment', () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'attacker', kid: 'evil' }] });
    const options = loadConfig({
      SOFTCLIENT4ES_TRUSTED_KEYS: jwks,
      SOFTCLIENT4ES_LICENSE_TRUSTED_KEYS: jwks,
      SOFTCLIENT4ES_JWKS: jwks,
      SOFTCLIENT4ES_LICENSE_PUBLIC_KEY: jwks,
    });
    expect(options).toEqual({});
    expect(Object.keys(options).filter((key) => /trusted|jwks|public/i.test(key))).toEqual([]);
  });

  it('documents no environment variable for the trusted keys', () => {
    const documented = Object.entries(ENVIRONMENT_VARIABLES).flat().join(' ');
    expect(documented).not.toMatch(/trusted|jwks/i);
  });
});

describe('telemetryOptedOut', () => {
  it.each([
    [{}, false],
    [{ DO_NOT_TRACK: '1' }, true],
    [{ DO_NOT_TRACK: 'true' }, true],
    [{ DO_NOT_TRACK: '0' }, false],
    [{ DO_NOT_TRACK: '' }, false],
    [{ SOFTCLIENT4ES_TELEMETRY_ENABLED: 'false' }, true],
    [{ SOFTCLIENT4ES_TELEMETRY_ENABLED: '0' }, true],
    [{ SOFTCLIENT4ES_TELEMETRY_ENABLED: 'true' }, false],
    [{ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'no' }, true],
    [{ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: ' FALSE ' }, true],
    [{ SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'yes' }, false],
  ])('says %j opts out: %s', (env, expected) => {
    expect(telemetryOptedOut(env as Record<string, string>)).toBe(expected);
  });
});

describe('mergeOptions', () => {
  it('lets an explicit option win over the environment', () => {
    const merged = mergeOptions({ apiKey: 'from-env', stateDir: '/env' }, { version: 'x', apiKey: 'explicit' });
    expect(merged).toMatchObject({ version: 'x', apiKey: 'explicit', stateDir: '/env' });
  });

  it('keeps the environment value when the explicit option is undefined', () => {
    expect(mergeOptions({ apiKey: 'from-env' }, { version: 'x', apiKey: undefined }).apiKey).toBe('from-env');
  });

  it('merges refresh one level deep, explicit fields winning', () => {
    const merged = mergeOptions({ refresh: { enabled: false, interval: '12h' } }, { version: 'x', refresh: { interval: '1h' } });
    expect(merged.refresh).toEqual({ enabled: false, interval: '1h' });
  });

  it('merges telemetry one level deep, explicit fields winning', () => {
    expect(mergeOptions({ telemetry: { enabled: false } }, { version: 'x', telemetry: { enabled: true } }).telemetry).toEqual({ enabled: true });
    expect(mergeOptions({ telemetry: { enabled: false } }, { version: 'x', telemetry: {} }).telemetry).toEqual({ enabled: false });
  });

  it('adds no refresh or telemetry option when neither side has one', () => {
    const merged = mergeOptions({}, { version: 'x' });
    expect(merged).toEqual({ version: 'x' });
  });

  it('changes neither input', () => {
    const fromEnv = { refresh: { interval: '12h' } };
    const explicit = { version: 'x', refresh: { enabled: false } };
    mergeOptions(fromEnv, explicit);
    expect(fromEnv).toEqual({ refresh: { interval: '12h' } });
    expect(explicit).toEqual({ version: 'x', refresh: { enabled: false } });
  });
});

describe('createLicenseAgent configuration (before start)', () => {
  it('reports telemetry off when DO_NOT_TRACK=1, whatever the options say', () => {
    const agent = createLicenseAgent({ version: 'x', env: { DO_NOT_TRACK: '1' }, telemetry: { enabled: true }, logger: silent });
    expect(agent.status().telemetryEnabled).toBe(false);
  });

  it('reports telemetry off when SOFTCLIENT4ES_TELEMETRY_ENABLED=false, whatever the options say', () => {
    const agent = createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_TELEMETRY_ENABLED: 'false' }, telemetry: { enabled: true }, logger: silent });
    expect(agent.status().telemetryEnabled).toBe(false);
  });

  it('reports telemetry on by default', () => {
    expect(createLicenseAgent({ version: 'x', env: {}, logger: silent }).status().telemetryEnabled).toBe(true);
  });

  it('throws at creation for SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL=soon, naming the variable', () => {
    expectConfigError(
      () => createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: 'soon' }, logger: silent }),
      'SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL',
    );
  });

  it('throws at creation for an unknown option', () => {
    expectConfigError(() => createLicenseAgent({ version: 'x', env: {}, logger: silent, refreshInterval: '1h' } as LicenseAgentOptions), 'refreshInterval');
  });

  it('throws at creation for a refresh option that is not an object, naming refresh', () => {
    expectConfigError(() => createLicenseAgent({ version: 'x', env: {}, logger: silent, refresh: 'daily' } as unknown as LicenseAgentOptions), 'refresh');
  });

  it('takes the mode from the environment when the options leave it out', () => {
    const agent = createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_API_KEY: 'sk-key-1' }, logger: silent });
    expect(agent.status()).toMatchObject({ mode: 'api-key', state: 'created' });
  });

  it.each([
    ['a key without the sk- prefix', 'key-123', 'key-123'],
    ['the prefix alone', 'sk-', undefined],
    ['a license JWT in the wrong variable', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsaWMtMSJ9.c2ln', 'eyJhbGciOiJFZERTQSJ9'],
  ])('throws at creation for SOFTCLIENT4ES_API_KEY set to %s, naming apiKey', (_, key, secret) => {
    const error = expectConfigError(() => createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_API_KEY: key }, logger: silent }), 'apiKey');
    expect(error.message).toContain('invalid API key format');
    if (secret !== undefined) expect(error.message).not.toContain(secret);
  });

  it('takes refresh.enabled from the environment when the options leave it out', () => {
    const agent = createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: 'no' }, logger: silent });
    expect(agent.status().refreshEnabled).toBe(false);
  });

  it('lets an explicit refresh.enabled win over the environment', () => {
    const agent = createLicenseAgent({ version: 'x', env: { SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: 'no' }, refresh: { enabled: true }, logger: silent });
    expect(agent.status().refreshEnabled).toBe(true);
  });

  it('rejects an unacceptable server URL from the environment by the variable name, even when an option overrides it', () => {
    // A variable that is set is configuration: a bad one is reported, not silently shadowed.
    const env = { SOFTCLIENT4ES_LICENSE_SERVER_URL: 'http://licenses.example.com' };
    expect(() => createLicenseAgent({ version: 'x', env, serverUrl: 'https://licenses.example.com', logger: silent }))
      .toThrow(/SOFTCLIENT4ES_LICENSE_SERVER_URL: must use https/);
    expect(() => createLicenseAgent({ version: 'x', env, logger: silent })).toThrow(LicenseConfigError);
  });
});
