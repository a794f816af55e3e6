import { DEFAULT_TRUSTED_KEYS } from '../../src/license/keys.js';
import { describe, expect, it } from 'vitest';
import { LicenseConfigError } from '../../src/errors.js';
import { generateIssuerKeys } from '../../src/issuer/keys.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { type LicenseAgentOptions } from '../../src/config/options.js';

const HOUR = 3_600_000;

/** Runs `resolveConfig` with options that need not type-check, as a JavaScript caller could pass. */
function resolve(options: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  return resolveConfig(options as unknown as LicenseAgentOptions, env);
}

/** The `LicenseConfigError` that resolving `options` throws. */
function configError(options: Record<string, unknown>): LicenseConfigError {
  try {
    resolve(options);
  } catch (error) {
    expect(error).toBeInstanceOf(LicenseConfigError);
    return error as LicenseConfigError;
  }
  throw new Error('resolveConfig accepted the options');
}

function expectRejected(options: Record<string, unknown>, option: string): LicenseConfigError {
  const error = configError(options);
  expect(error.code).toBe('ERR_LICENSE_CONFIG');
  expect(error.option).toBe(option);
  expect(error.message).toContain(option);
  return error;
}

describe('resolveConfig defaults', () => {
  const config = resolve({ version: '1.2.3' });

  it('refreshes every 24h with a jitter of 0.05, refresh on', () => {
    expect(config.refresh).toEqual({ enabled: true, intervalMs: 24 * HOUR, jitter: 0.05 });
  });

  it('talks to https://license.softclient4es.com', () => {
    expect(config.serverUrl).toBe('https://license.softclient4es.com');
  });

  it('has telemetry on', () => {
    expect(config.telemetryEnabled).toBe(true);
  });

  it('times out connecting and reading after 10 s', () => {
    expect(config.connectTimeoutMs).toBe(10_000);
    expect(config.readTimeoutMs).toBe(10_000);
  });

  it('has no API key, license key or state dir unless given, and trusts the shipped keys and issuer', () => {
    expect(config).toMatchObject({ apiKey: undefined, licenseKey: undefined, stateDir: undefined });
    expect(config.trustedKeys).toBe(DEFAULT_TRUSTED_KEYS);
    expect(config.issuer).toBe('https://license.softclient4es.com');
  });

  it('refuses an API key that is not sk-... before anything else (SoftClient4ES: "invalid API key format")', () => {
    for (const apiKey of ['key-1', 'sk-', 'SK-abc', 'sk-has space']) {
      expectRejected({ version: 'x', apiKey }, 'apiKey');
    }
    expect(resolveConfig({ version: 'x', apiKey: 'sk-live-1' }, {}).apiKey).toBe('sk-live-1');
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.refresh)).toBe(true);
  });
});

describe('resolveConfig values', () => {
  it('parses a refresh interval written as a duration', () => {
    expect(resolve({ version: 'x', refresh: { interval: '90s' } }).refresh.intervalMs).toBe(90_000);
  });

  it('takes a refresh interval given in milliseconds', () => {
    expect(resolve({ version: 'x', refresh: { interval: 5_000 } }).refresh.intervalMs).toBe(5_000);
  });

  it('parses the timeouts as durations', () => {
    expect(resolve({ version: 'x', connectTimeout: '2s', readTimeout: 750 })).toMatchObject({ connectTimeoutMs: 2_000, readTimeoutMs: 750 });
  });

  it('accepts a jitter of 0', () => {
    expect(resolve({ version: 'x', refresh: { jitter: 0 } }).refresh.jitter).toBe(0);
  });

  it('turns telemetry off when the options say so', () => {
    expect(resolve({ version: 'x', telemetry: { enabled: false } }).telemetryEnabled).toBe(false);
  });

  it('turns telemetry off when the environment opts out, even if the options turn it on', () => {
    expect(resolve({ version: 'x', telemetry: { enabled: true } }, { DO_NOT_TRACK: '1' }).telemetryEnabled).toBe(false);
  });

  it('drops trailing slashes from the server URL', () => {
    expect(resolve({ version: 'x', serverUrl: 'https://licenses.example.com/base//' }).serverUrl).toBe('https://licenses.example.com/base');
  });

  it('keeps a JWKS given as trusted keys', async () => {
    const { jwks } = await generateIssuerKeys();
    expect(resolve({ version: 'x', trustedKeys: jwks }).trustedKeys).toBe(jwks);
  });

  it.each(['http://127.0.0.1:8080', 'http://127.3.4.5', 'http://localhost', 'http://localhost:3000/license', 'http://[::1]:9000', 'https://licenses.example.com'])(
    'accepts the server URL %s',
    (serverUrl) => {
      expect(resolve({ version: 'x', serverUrl }).serverUrl).toBe(serverUrl);
    },
  );
});

describe('resolveConfig rejects bad configuration at once, naming the option', () => {
  it('rejects a missing version', () => {
    expectRejected({}, 'version');
  });

  it('rejects an empty version', () => {
    expectRejected({ version: '  ' }, 'version');
  });

  it('rejects an unknown top-level option', () => {
    expectRejected({ version: 'x', refreshInterval: '1h' }, 'refreshInterval');
  });

  it('rejects an unknown refresh option', () => {
    expectRejected({ version: 'x', refresh: { intervall: '1h' } }, 'refresh.intervall');
  });

  it('rejects an unknown telemetry option', () => {
    expectRejected({ version: 'x', telemetry: { enable: false } }, 'telemetry.enable');
  });

  it('rejects a refresh option that is not an object', () => {
    expectRejected({ version: 'x', refresh: 'daily' }, 'refresh');
  });

  it('rejects an unparsable refresh interval', () => {
    const error = expectRejected({ version: 'x', refresh: { interval: 'soon' } }, 'refresh.interval');
    expect(error.message).toContain('soon');
  });

  it.each(['0s', 0, '0'])('rejects a zero refresh interval (%j)', (interval) => {
    expectRejected({ version: 'x', refresh: { interval } }, 'refresh.interval');
  });

  it('rejects a negative refresh interval', () => {
    expectRejected({ version: 'x', refresh: { interval: -1_000 } }, 'refresh.interval');
  });

  it.each([1, 1.5, -0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1', true])('rejects the jitter %j', (jitter) => {
    expectRejected({ version: 'x', refresh: { jitter } }, 'refresh.jitter');
  });

  it('rejects a refresh.enabled that is not a boolean', () => {
    expectRejected({ version: 'x', refresh: { enabled: 'yes' } }, 'refresh.enabled');
  });

  it('rejects an unparsable timeout', () => {
    expectRejected({ version: 'x', readTimeout: 'a while' }, 'readTimeout');
  });

  it.each(['http://license.softclient4es.com', 'http://10.0.0.5:8080', 'http://localhost.example.com', 'http://127.0.0.1.nip.io'])(
    'rejects plain http to the non-loopback host of %s',
    (serverUrl) => {
      expect(expectRejected({ version: 'x', serverUrl }, 'serverUrl').message).toContain('https');
    },
  );

  it('rejects a server URL that is not a URL', () => {
    expectRejected({ version: 'x', serverUrl: 'license.softclient4es.com' }, 'serverUrl');
  });

  it('rejects a server URL of another scheme', () => {
    expectRejected({ version: 'x', serverUrl: 'ftp://license.softclient4es.com' }, 'serverUrl');
  });

  it('rejects a server URL carrying credentials, without repeating them', () => {
    const error = expectRejected({ version: 'x', serverUrl: 'https://user:s3cret-pw@license.softclient4es.com' }, 'serverUrl');
    expect(error.message).not.toContain('s3cret-pw');
  });

  it.each([{}, { keys: 'all' }, 'jwks', null, []])('rejects trusted keys %j that are not a JWKS', (trustedKeys) => {
    expectRejected({ version: 'x', trustedKeys }, 'trustedKeys');
  });

  it('rejects an API key that is an empty string', () => {
    expectRejected({ version: 'x', apiKey: '' }, 'apiKey');
  });
});
