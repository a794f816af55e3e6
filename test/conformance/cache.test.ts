/**
 * Conformance: SoftClient4ES's license cache (LicenseCache), shared on one host: the agent reads a
 * `license-cache.jwt` SoftClient4ES wrote, writes one SoftClient4ES can read (the JWT alone), keeps
 * its own facts in `license-state.json`, never caches a static JWT, and migrates 0.1.x's file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLicenseClaims } from '../../src/issuer/mint.js';
import { useE2E, writeLegacyCache, writeSoftClientCache } from '../e2e/support/harness.js';

const e2e = useE2E();
const API_KEY = 'sk-conformance-cache';
const PRO = { sub: 'org-acme-123', tier: 'Pro' } as const;

describe('LicenseCache, shared with SoftClient4ES', () => {
  it('writes the JWT alone to license-cache.jwt, mode 0600, so that SoftClient4ES reads it', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir });
    await agent.start();
    await agent.stop();
    const text = await readFile(path.join(stateDir, 'license-cache.jwt'), 'utf8');
    expect(text).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeLicenseClaims(text).sub).toBe('org-acme-123');
    expect((await stat(path.join(stateDir, 'license-cache.jwt'))).mode & 0o777).toBe(0o600);
    expect(await readdir(stateDir)).toContain('license-state.json');
  });

  it('reads a license-cache.jwt that SoftClient4ES wrote, and serves it while the fetch fails', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    await writeSoftClientCache(stateDir, `${await server.mint(PRO)}\n`);
    server.respondWith(() => ({ status: 503 }));
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir });
    await agent.start();
    // Its origin is unknown (no record of ours beside it): a fetch is tried first, the cache serves.
    expect(server.requests).toHaveLength(1);
    expect(agent.license()).toMatchObject({ tier: 'Pro', licenseId: 'org-acme-123' });
  });

  it('never writes a static JWT to license-cache.jwt', async () => {
    const server = await e2e.server();
    const stateDir = await e2e.tempDir();
    const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl });
    const agent = e2e.agent({ licenseKey, trustedKeys: server.keys.jwks, stateDir });
    await agent.start();
    expect((await agent.refreshNow()).status).toBe('refreshed');
    await agent.stop();
    expect(await readdir(stateDir)).not.toContain('license-cache.jwt');
  });

  it("migrates 0.1.x's license-cache.json once: no request at start, and the old file is gone", async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: PRO } });
    const stateDir = await e2e.tempDir();
    await writeLegacyCache(stateDir, { jwt: await server.mint(PRO), fetchedAt: Date.now() - 60_000, apiKey: API_KEY });
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir });
    await agent.start();
    await agent.stop();
    expect(server.requests).toHaveLength(0);
    expect(agent.license()).toMatchObject({ tier: 'Pro', licenseId: 'org-acme-123' });
    const files = await readdir(stateDir);
    expect(files).not.toContain('license-cache.json');
    expect(files).toEqual(expect.arrayContaining(['license-cache.jwt', 'license-state.json']));
  });
});
