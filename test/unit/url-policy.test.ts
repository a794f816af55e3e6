import { describe, expect, it } from 'vitest';
import { endpointProblem, isLoopbackHost } from '../../src/net/url-policy.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', 'localhost', 'LocalHost', '::1', '[::1]'])('says %s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['128.0.0.1', '10.0.0.1', '192.168.1.1', '0.0.0.0', 'localhost.example.com', 'mylocalhost', '127.0.0.1.nip.io', '::2', '[::]', 'example.com', ''])(
    'says %j is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('endpointProblem', () => {
  it.each([
    'https://license.softclient4es.com',
    'https://licenses.example.com:8443/api/v1/licenses/refresh?x=1',
    'http://127.0.0.1:8080',
    'http://127.0.0.2/refresh',
    'http://localhost:3000/refresh',
    'http://[::1]:9000/refresh',
  ])('accepts %s', (url) => {
    expect(endpointProblem(url)).toBeUndefined();
  });

  it.each(['http://license.softclient4es.com', 'http://10.0.0.1/refresh', 'http://localhost.example.com/', 'http://[::2]/'])(
    'requires https for %s',
    (url) => {
      expect(endpointProblem(url)).toMatch(/https/);
    },
  );

  it.each(['ftp://license.softclient4es.com', 'file:///etc/passwd', 'ws://127.0.0.1/'])('refuses the scheme of %s', (url) => {
    expect(endpointProblem(url)).toMatch(/https/);
  });

  it.each(['license.softclient4es.com', '', '/api/v1/licenses/token', 'https://'])('says %j is not a URL', (url) => {
    expect(endpointProblem(url)).toMatch(/not a URL/);
  });

  it.each(['https://user:pw@license.softclient4es.com', 'https://user@license.softclient4es.com', 'http://:pw@127.0.0.1/'])(
    'refuses credentials in %s',
    (url) => {
      expect(endpointProblem(url)).toMatch(/credentials/);
    },
  );
});
