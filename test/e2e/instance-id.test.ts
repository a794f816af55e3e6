/**
 * The instance id: created on the first start in `<stateDir>/instance-id`, sent as `instance_id`,
 * reused by later starts, and replaced (with a warning) when malformed. The state directory comes
 * from `stateDir`, else `SOFTCLIENT4ES_HOME`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LicenseServer } from '../../src/issuer/index.js';
import { WARN } from '../support/logs.js';
import { bodyOf, INSTANCE_ID_FILE, readCache, useE2E, UUID_V4 } from './support/harness.js';

const e2e = useE2E();

const API_KEY = 'sk-e2e_instance_key_a8e3';

async function storedId(dir: string): Promise<string> {
  return (await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8')).trim();
}

async function server(): Promise<LicenseServer> {
  return e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-pro', tier: 'Pro' } } });
}

describe('instance id', () => {
  it('creates a UUID v4 in <stateDir>/instance-id on the first start and sends it as instance_id', async () => {
    const s = await server();
    const dir = await e2e.tempDir();
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: s.url, stateDir: dir, trustedKeys: s.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    const id = await storedId(dir);
    expect(id).toMatch(UUID_V4);
    expect(bodyOf(s.requests[0]!)['instance_id']).toBe(id);
    expect(agent.status().instanceId).toBe(id);
  });

  it('reuses the stored id on a later start', async () => {
    const s = await server();
    const dir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: s.url, stateDir: dir, trustedKeys: s.keys.jwks, refresh: { interval: '24h' } };
    const first = e2e.agent(options);
    await first.start();
    await first.stop();
    const id = await storedId(dir);
    // A fetch again on the second start, so that its body can be compared.
    const second = e2e.agent({ ...options, apiKey: `${API_KEY}-2` });
    s.setApiKey(`${API_KEY}-2`, { sub: 'lic-pro', tier: 'Pro' });
    await second.start();
    expect(s.requests).toHaveLength(2);
    expect(bodyOf(s.requests[1]!)['instance_id']).toBe(id);
    expect(await storedId(dir)).toBe(id);
  });

  it('gives two agents starting at once on an empty directory the same id', async () => {
    const s = await server();
    const dir = await e2e.tempDir();
    const options = { apiKey: API_KEY, serverUrl: s.url, stateDir: dir, trustedKeys: s.keys.jwks, refresh: { interval: '24h' } };
    const agents = [e2e.agent(options), e2e.agent(options)];
    await Promise.all(agents.map((agent) => agent.start()));
    const id = await storedId(dir);
    expect(agents.map((agent) => agent.status().instanceId)).toEqual([id, id]);
    // Sharing a state dir, they also take turns at the server: one fetches, the other adopts.
    expect(s.requests.map((request) => bodyOf(request)['instance_id'])).toEqual([id]);
  });

  it('keeps its state in SOFTCLIENT4ES_HOME when no stateDir option is given', async () => {
    const s = await server();
    const home = await e2e.tempDir();
    const agent = e2e.agent({
      apiKey: API_KEY, serverUrl: s.url, trustedKeys: s.keys.jwks, refresh: { interval: '24h' }, env: { SOFTCLIENT4ES_HOME: home },
    });
    await agent.start();
    await agent.stop();
    expect(agent.status().stateDir).toBe(home);
    expect(bodyOf(s.requests[0]!)['instance_id']).toBe(await storedId(home));
    expect(await readCache(home)).toMatchObject({ license_id: 'lic-pro' });
  });

  it('replaces a malformed instance-id file with a fresh UUID and a warning', async () => {
    const s = await server();
    const dir = await e2e.tempDir();
    await writeFile(path.join(dir, INSTANCE_ID_FILE), 'not-a-uuid\n');
    const agent = e2e.agent({ apiKey: API_KEY, serverUrl: s.url, stateDir: dir, trustedKeys: s.keys.jwks, refresh: { interval: '24h' } });
    await agent.start();
    const id = await storedId(dir);
    expect(id).toMatch(UUID_V4);
    expect(bodyOf(s.requests[0]!)['instance_id']).toBe(id);
    const warning = e2e.logs.at(WARN).find((line) => line.msg.includes('instance id'));
    expect(warning?.msg).toContain('malformed');
  });
});
