/**
 * The trust policy for a license's `refresh_url`: the `refreshOrigins` option and its environment
 * form, the default (the origin of `serverUrl` and SoftClient4ES's own server), and the link-local
 * and metadata addresses that no list can make trusted.
 */
import { describe, expect, it } from 'vitest';
import { LicenseConfigError } from '../../src/errors.js';
import { isLinkLocalHost, refreshUrlProblem } from '../../src/net/url-policy.js';
import { loadConfig } from '../../src/config/environment.js';
import { resolveConfig } from '../../src/config/resolve.js';

const resolve = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveConfig({ version: '1.0.0', ...loadConfig(env), ...options }, env);

describe('refreshOrigins', () => {
  it("defaults to SoftClient4ES's license server", () => {
    expect(resolve({}).refreshOrigins).toEqual(['https://license.softclient4es.com']);
  });

  it('defaults to the origin of serverUrl as well, without its path', () => {
    expect(resolve({ serverUrl: 'https://licenses.example.com:8443/base/' }).refreshOrigins)
      .toEqual(['https://licenses.example.com:8443', 'https://license.softclient4es.com']);
  });

  it('replaces the default with the origins it lists, normalised', () => {
    expect(resolve({ refreshOrigins: ['HTTPS://Licenses.Example.com', 'http://127.0.0.1:8080'] }).refreshOrigins)
      .toEqual(['https://licenses.example.com', 'http://127.0.0.1:8080']);
  });

  it('is read from SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS, separated by commas or spaces', () => {
    const env = { SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS: 'https://a.example.com, https://b.example.com  https://c.example.com' };
    expect(resolve({}, env).refreshOrigins).toEqual(['https://a.example.com', 'https://b.example.com', 'https://c.example.com']);
  });

  it.each([
    ['a metadata address', 'https://169.254.169.254', /link-local or cloud-metadata/],
    ['an IPv6 link-local address', 'https://[fe80::1]', /link-local or cloud-metadata/],
    ['a URL with a path', 'https://licenses.example.com/refresh', /is not an origin/],
    ['plain http to a public host', 'http://licenses.example.com', /must use https/],
    ['credentials', 'https://user:pw@licenses.example.com', /must not carry credentials/],
    ['an empty string', '', /non-empty strings/],
  ])('refuses %s, naming the option', (_what, origin, problem) => {
    let thrown: unknown;
    try {
      resolve({ refreshOrigins: [origin] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LicenseConfigError);
    expect((thrown as LicenseConfigError).option).toBe('refreshOrigins');
    expect((thrown as Error).message).toMatch(problem);
  });

  it('refuses a bad origin in the variable, naming the variable', () => {
    expect(() => loadConfig({ SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS: 'https://169.254.169.254' }))
      .toThrow(/SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS: https:\/\/169\.254\.169\.254 is a link-local/);
  });

  it('must be an array', () => {
    expect(() => resolve({ refreshOrigins: 'https://licenses.example.com' })).toThrow(/refreshOrigins: must be an array of origins/);
  });
});

describe('refreshUrlProblem', () => {
  const TRUSTED = ['https://license.softclient4es.com'];

  it('accepts a URL on a trusted origin', () => {
    expect(refreshUrlProblem('https://license.softclient4es.com/api/v1/licenses/refresh', TRUSTED)).toBeUndefined();
  });

  it('names the origin of a URL outside the list', () => {
    expect(refreshUrlProblem('https://license.softclient4es.com.evil.test/refresh', TRUSTED))
      .toBe('names the origin https://license.softclient4es.com.evil.test, which is not a trusted refresh origin (trusted: https://license.softclient4es.com; add it to refreshOrigins)');
  });

  it('tells another port of a trusted host from the host itself', () => {
    expect(refreshUrlProblem('https://license.softclient4es.com:8443/refresh', TRUSTED)).toMatch(/not a trusted refresh origin/);
  });

  it('refuses a metadata address even when it is listed', () => {
    expect(refreshUrlProblem('https://169.254.169.254/latest', ['https://169.254.169.254'])).toMatch(/link-local or cloud-metadata/);
  });
});

describe('isLinkLocalHost', () => {
  it.each([
    ['169.254.169.254', true], ['169.254.0.1', true], ['[fe80::1]', true], ['[febf::1]', true], ['[fd00:ec2::254]', true],
    ['[::ffff:a9fe:a9fe]', true], ['169.255.0.1', false], ['[fec0::1]', false], ['[fd00:ec2::253]', false],
    ['127.0.0.1', false], ['license.softclient4es.com', false],
  ])('%s: %s', (host, expected) => {
    expect(isLinkLocalHost(host)).toBe(expected);
  });
});
