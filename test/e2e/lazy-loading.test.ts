/**
 * What a server pays at start-up: an agent that starts on a valid cached license has no refresh due,
 * so it must not load the refresh path (the fetch, peer coordination, the HTTP client) nor the
 * inspector. A child process records every module it resolves.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useE2E, writeCache } from './support/harness.js';

const e2e = useE2E();
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ROOT = path.resolve(FIXTURES, '../../..');
const API_KEY = 'sk-e2e_lazy_key';

/** Starts and stops an agent from a valid cache in a child; its tier and the source modules it loaded. */
async function startFromCache(): Promise<{ tier: string; loaded: string[]; requests: number }> {
  const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-lazy', tier: 'Pro' } } });
  const stateDir = await e2e.tempDir();
  await writeCache(stateDir, { jwt: await server.mint({ sub: 'lic-lazy', tier: 'Pro' }), fetchedAt: Date.now() - 60_000, apiKey: API_KEY });
  const loadsFile = path.join(stateDir, 'loads.txt');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', path.join(FIXTURES, 'record-loads.mjs'), path.join(FIXTURES, 'start-from-cache.ts'), stateDir, server.url],
    {
      cwd: ROOT,
      timeout: 20_000,
      env: { ...process.env, RECORD_LOADS_FILE: loadsFile, START_API_KEY: API_KEY, START_TRUSTED_KEYS: JSON.stringify(server.keys.jwks) },
    },
  );
  const urls = (await readFile(loadsFile, 'utf8')).split('\n').filter(Boolean);
  const loaded = [...new Set(urls.filter((url) => url.startsWith('file:')).map((url) => path.relative(ROOT, fileURLToPath(url))))];
  return { tier: (JSON.parse(stdout) as { tier: string }).tier, loaded, requests: server.requests.length };
}

describe('start-up on a valid cached license', () => {
  it('loads the agent but neither the refresh path nor the inspector', async () => {
    const run = await startFromCache();

    expect(run).toMatchObject({ tier: 'Pro', requests: 0 });
    expect(run.loaded).toEqual(expect.arrayContaining(['src/agent/license-agent.ts', 'src/agent/startup.ts', 'src/license/verify.ts']));
    expect(run.loaded.filter((file) => /^src\/(effects\/fetch-license|effects\/refresh-coordinator|inspector\/inspector|net\/refresh-client|state\/refresh-lock)\.ts$/.test(file))).toEqual([]);
    expect(run.loaded.filter((file) => file.includes('node_modules/undici/') || file.includes('node_modules/@statelyai/'))).toEqual([]);
  });
});
