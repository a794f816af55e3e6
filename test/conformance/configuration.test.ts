/**
 * Conformance, configuration: the environment is read as SoftClient4ES's `LicenseConfig` reads it
 * (a blank `SOFTCLIENT4ES_LICENSE_KEY` or `SOFTCLIENT4ES_API_KEY` is absent), and
 * `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY` adds a trusted key as its helm chart and operator guide
 * document it for air-gapped servers. Each test restates one behaviour of its `LicenseConfigSpec`
 * or its deployment documentation, through `createLicenseAgent`'s `env` option.
 */
import { describe, expect, it } from 'vitest';
import { useE2E } from '../e2e/support/harness.js';
import { DEFAULT_TRUSTED_KEYS, LicenseConfigError, loadConfig } from '../../src/index.js';
import { ERROR } from '../support/logs.js';
import { TEST_JWKS, TEST_PRIVATE_JWK, TEST_PUBLIC_JWK } from './fixtures/softclient4es-test-key.js';
import { proClaims, signWithTestKey } from './support/softclient4es-tokens.js';
import { useTokenServers } from './support/token-server.js';

const tokenServer = useTokenServers();
const e2e = useE2E();

const API_KEY = 'sk-conformance_env_91b7d0';
const PUBLIC_KEY_VARIABLE = 'SOFTCLIENT4ES_LICENSE_PUBLIC_KEY';

/** What `createLicenseAgent` threw, or `undefined`. */
function thrownBy(create: () => unknown): unknown {
  try {
    create();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('conformance: configuration, as SoftClient4ES reads it', () => {
  it.each(['', ' ', '   ', '\t', '\n  \t'])(
    'treats SOFTCLIENT4ES_LICENSE_KEY and SOFTCLIENT4ES_API_KEY set to %j as absent: Community, no request, as LicenseConfig does',
    async (blank) => {
      const server = await tokenServer(async () => ({ status: 200, body: { jwt: await signWithTestKey(proClaims()) } }));
      const env = {
        SOFTCLIENT4ES_LICENSE_KEY: blank,
        SOFTCLIENT4ES_API_KEY: blank,
        SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url,
      };
      expect(loadConfig(env)).not.toHaveProperty('apiKey');
      expect(loadConfig(env)).not.toHaveProperty('licenseKey');
      const agent = e2e.agent({ env, trustedKeys: TEST_JWKS, stateDir: await e2e.tempDir() });
      await agent.start();
      expect(agent.status().mode).toBe('community');
      expect(agent.license().tier).toBe('Community');
      expect(server.requests).toHaveLength(0);
      expect(e2e.logs.at(ERROR)).toEqual([]);
    },
  );

  it('reads SOFTCLIENT4ES_API_KEY, trimmed, and fetches with it, as LicenseConfig does', async () => {
    const server = await tokenServer(async () => ({ status: 200, body: { jwt: await signWithTestKey(proClaims()) } }));
    const env = { SOFTCLIENT4ES_API_KEY: `  ${API_KEY}\n`, SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url };
    const agent = e2e.agent({ env, trustedKeys: TEST_JWKS, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(agent.license().tier).toBe('Pro');
  });

  it('reads SOFTCLIENT4ES_LICENSE_KEY, trimmed, as the license JWT, as LicenseConfig does', async () => {
    const jwt = await signWithTestKey(proClaims());
    const agent = e2e.agent({ env: { SOFTCLIENT4ES_LICENSE_KEY: ` ${jwt} \n` }, trustedKeys: TEST_JWKS, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.status().mode).toBe('static-jwt');
    expect(agent.license().tier).toBe('Pro');
  });

  it("does not trust SoftClient4ES's test key by default", async () => {
    const jwt = await signWithTestKey(proClaims());
    const agent = e2e.agent({ env: { SOFTCLIENT4ES_LICENSE_KEY: jwt }, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Community');
    expect(e2e.logs.at(ERROR).length).toBeGreaterThan(0);
  });

  it('verifies a test-key token with only SOFTCLIENT4ES_LICENSE_PUBLIC_KEY set to its public JWK, as the helm chart documents', async () => {
    const env = {
      SOFTCLIENT4ES_LICENSE_KEY: await signWithTestKey(proClaims()),
      [PUBLIC_KEY_VARIABLE]: JSON.stringify(TEST_PUBLIC_JWK),
    };
    const agent = e2e.agent({ env, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Pro');
    expect(agent.quota('max_query_results')).toBe(1_000_000);
  });

  it('accepts SOFTCLIENT4ES_LICENSE_PUBLIC_KEY as a JWKS, as the operator guide allows', async () => {
    const env = {
      SOFTCLIENT4ES_LICENSE_KEY: await signWithTestKey(proClaims()),
      [PUBLIC_KEY_VARIABLE]: JSON.stringify({ keys: [TEST_PUBLIC_JWK] }),
    };
    const agent = e2e.agent({ env, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Pro');
  });

  it('adds the SOFTCLIENT4ES_LICENSE_PUBLIC_KEY key to the trusted keys rather than replacing them', async () => {
    const env = {
      SOFTCLIENT4ES_LICENSE_KEY: await signWithTestKey(proClaims()),
      [PUBLIC_KEY_VARIABLE]: JSON.stringify(TEST_PUBLIC_JWK),
    };
    const agent = e2e.agent({ env, trustedKeys: DEFAULT_TRUSTED_KEYS, stateDir: await e2e.tempDir() });
    await agent.start();
    expect(agent.license().tier).toBe('Pro');
  });

  it('reads the configured license key with SOFTCLIENT4ES_LICENSE_PUBLIC_KEY also when it comes as the licenseKey option', async () => {
    const agent = e2e.agent({
      licenseKey: await signWithTestKey(proClaims()),
      env: { [PUBLIC_KEY_VARIABLE]: `\n${JSON.stringify(TEST_PUBLIC_JWK)}\n` },
      stateDir: await e2e.tempDir(),
    });
    await agent.start();
    expect(agent.license().tier).toBe('Pro');
  });

  it.each(['', '   '])('treats SOFTCLIENT4ES_LICENSE_PUBLIC_KEY set to %j as absent', async (blank) => {
    expect(thrownBy(() => e2e.agent({ env: { [PUBLIC_KEY_VARIABLE]: blank } }))).toBeUndefined();
  });

  it.each([
    ['not JSON', 'EGBuSwTrahLvXcMhjr042wzUc4Wm0FTrTALpb56PLNg'],
    ['a JSON string', '"EGBuSwTrahLvXcMhjr042wzUc4Wm0FTrTALpb56PLNg"'],
    ['an RSA key', JSON.stringify({ kty: 'RSA', kid: 'rsa-1', n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1Wl', e: 'AQAB' })],
    ['an X25519 key', JSON.stringify({ ...TEST_PUBLIC_JWK, crv: 'X25519' })],
    ['a key without x', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', kid: 'softclient4es-test' })],
    ['a key with a short x', JSON.stringify({ ...TEST_PUBLIC_JWK, x: 'EGBuSwTrahLvXcMh' })],
    ['an empty JWKS', JSON.stringify({ keys: [] })],
    ['an array', JSON.stringify([TEST_PUBLIC_JWK])],
  ])('throws LicenseConfigError naming SOFTCLIENT4ES_LICENSE_PUBLIC_KEY when it is %s', (_what, value) => {
    const thrown = thrownBy(() => e2e.agent({ env: { [PUBLIC_KEY_VARIABLE]: value } }));
    expect(thrown).toBeInstanceOf(LicenseConfigError);
    expect((thrown as LicenseConfigError).option).toBe(PUBLIC_KEY_VARIABLE);
    expect((thrown as Error).message).toContain(PUBLIC_KEY_VARIABLE);
  });

  it.each([
    ['a private JWK', JSON.stringify(TEST_PRIVATE_JWK)],
    ['a JWKS holding a private JWK', JSON.stringify({ keys: [TEST_PUBLIC_JWK, { ...TEST_PRIVATE_JWK, kid: 'second' }] })],
  ])('refuses %s in SOFTCLIENT4ES_LICENSE_PUBLIC_KEY, never quoting the private half', (_what, value) => {
    const thrown = thrownBy(() => e2e.agent({ env: { [PUBLIC_KEY_VARIABLE]: value } }));
    expect(thrown).toBeInstanceOf(LicenseConfigError);
    expect((thrown as LicenseConfigError).option).toBe(PUBLIC_KEY_VARIABLE);
    expect((thrown as Error).message).not.toContain(TEST_PRIVATE_JWK.d as string);
  });
});
