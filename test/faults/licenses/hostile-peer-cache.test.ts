/**
 * Hostile licenses planted in the shared cache (the third way in, after the start-up options and
 * refresh answers): processes sharing a state dir adopt a license a peer refreshed, so a forged,
 * replayed or malformed JWT written to `license-cache.jwt` (with the record in `license-state.json`
 * that makes it a peer's fresh result for this API key) must be refused like a refresh answer: the
 * agent goes to the server itself, and the license in force is never the planted one. The schedule
 * runs on a simulated clock, so that the tick comes after the plant, always; the requests, files
 * and verification are real.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { EffectiveLicense } from '../../../src/index.js';
import type { LicenseServer } from '../../../src/issuer/index.js';
import { CACHE_FILE, nowSeconds, sha256Hex, STATE_FILE, useE2E, waitFor, waitForRequests, writeCache } from '../../e2e/support/harness.js';
import { HOSTILE_CASES } from './support/hostile-tokens.js';

const e2e = useE2E();

const API_KEY = 'sk-faults_peer_cache_key_2f7d';
const SUB = 'lic-peer-cache';
const INTERVAL_MS = 2_000;

// Tying a refresh to the current license id is static-JWT mode's; these agents hold an API key.
const PEER_CASES = HOSTILE_CASES.filter((hostile) => !hostile.staticOnly);

/**
 * Writes `jwt` as a peer's refresh with this API key would: the JWT alone to `license-cache.jwt`,
 * then the record that ties it to the key and the time (each a whole file, renamed into place).
 */
async function plantPeerRefresh(dir: string, jwt: string, fetchedAt: number): Promise<void> {
  const record = { jwt_sha256: sha256Hex(jwt.trim()), license_id: SUB, fetched_at: new Date(fetchedAt).toISOString(), key_fingerprint: sha256Hex(API_KEY) };
  const plant = async (name: string, text: string) => {
    const temp = path.join(dir, '.planted.tmp');
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, path.join(dir, name));
  };
  await plant(CACHE_FILE, jwt);
  await plant(STATE_FILE, `${JSON.stringify({ format: 1, api_key: record }, null, 2)}\n`);
}

/** An API-key agent on a cached Pro license, its schedule on a simulated clock at the real time. */
async function agentOnCachedLicense(server: LicenseServer, currentIat: number) {
  const dir = await e2e.tempDir();
  const clock = new SimulatedClock();
  clock.set(Date.now());
  await writeCache(dir, { jwt: await server.mint({ sub: SUB, tier: 'Pro', iat: currentIat }), fetchedAt: clock.now(), apiKey: API_KEY });
  const agent = e2e.agent({
    apiKey: API_KEY, serverUrl: server.url, stateDir: dir, trustedKeys: server.keys.jwks, clock, refresh: { interval: INTERVAL_MS, jitter: 0 },
  });
  const seen: EffectiveLicense[] = [];
  agent.on('licenseChanged', (next) => seen.push(next));
  await agent.start();
  return { dir, clock, agent, seen };
}

describe('a license planted in the shared cache as a peer process refresh', () => {
  // The control: a genuine peer refresh is adopted without a request, so every refusal below is the verifier's.
  it('is adopted without asking the server when it is genuine', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
    const currentIat = nowSeconds() - 3 * 3_600;
    const { dir, clock, agent } = await agentOnCachedLicense(server, currentIat);
    await plantPeerRefresh(dir, await server.mint({ sub: SUB, tier: 'Enterprise', iat: currentIat + 60 }), clock.now() + 1);

    clock.increment(INTERVAL_MS + 1);
    await waitFor(() => agent.license().tier === 'Enterprise', 5_000, 'the peer license');

    expect(server.requests).toHaveLength(0);
  });

  it.each(PEER_CASES.map((hostile) => [hostile.name, hostile] as const))('is never adopted when hostile: %s', async (_name, hostile) => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: SUB, tier: 'Pro' } } });
    const currentIat = nowSeconds() - 3 * 3_600;
    const { dir, clock, agent, seen } = await agentOnCachedLicense(server, currentIat);
    await plantPeerRefresh(dir, await hostile.build({ server, sub: SUB, currentIat }), clock.now() + 1);

    clock.increment(INTERVAL_MS + 1);
    // Refused, the planted license sends the agent to the server for a license of its own.
    await waitForRequests(server, 1, 5_000);
    await waitFor(() => agent.status().state === 'scheduled', 5_000, 'the refresh to finish');
    await agent.stop();

    expect(seen.map((license) => license.tier)).not.toContain('Enterprise');
    expect(agent.license()).toMatchObject({ tier: 'Pro', licenseId: SUB });
  });
});
