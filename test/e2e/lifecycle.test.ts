/**
 * The agent's own lifecycle under an impatient host: start and stop in any order and any number
 * of times, listeners that throw, keys that are not keys. Each must leave nothing running and no
 * exception escaping into the server.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR } from '../support/logs.js';
import { sleep, useE2E, waitForRequests } from './support/harness.js';

const e2e = useE2E();

async function apiKeyAgent(interval = '300ms') {
  const server = await e2e.server({ apiKeys: { 'sk-key-1': { sub: 'lic-1', tier: 'Pro' } } });
  const agent = e2e.agent({
    apiKey: 'sk-key-1',
    serverUrl: server.url,
    stateDir: await e2e.tempDir(),
    trustedKeys: server.keys.jwks,
    refresh: { interval },
  });
  return { server, agent };
}

describe('start and stop', () => {
  it('leaves nothing running when stop() comes while start() reads the state dir', async () => {
    const { server, agent } = await apiKeyAgent();
    const starting = agent.start();
    await agent.stop();
    await starting;
    await sleep(900);
    expect(server.requests).toHaveLength(0);
    expect(agent.status().state).toBe('created');
  });

  it('releases a start() waiting for its first fetch when stop() comes', async () => {
    const stalling = await e2e.stallingServer();
    const server = await e2e.server();
    const agent = e2e.agent({ apiKey: 'sk-key-1', serverUrl: stalling.url, stateDir: await e2e.tempDir(), trustedKeys: server.keys.jwks });
    const starting = agent.start();
    await sleep(200);
    const stoppedAt = Date.now();
    await agent.stop();
    await starting;
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
  });

  it('starts one actor however often start() is called at once', async () => {
    const { server, agent } = await apiKeyAgent('1h');
    await Promise.all([agent.start(), agent.start(), agent.start()]);
    await sleep(300);
    expect(server.requests).toHaveLength(1);
  });

  it('does not start after stop()', async () => {
    const { server, agent } = await apiKeyAgent();
    await agent.stop();
    await agent.start();
    await sleep(500);
    expect(server.requests).toHaveLength(0);
  });

  it('leaves no refresh lock behind once stop() resolves', async () => {
    const { agent } = await apiKeyAgent('1h');
    await agent.start();
    await agent.stop();
    expect(existsSync(path.join(agent.status().stateDir as string, 'refresh.lock'))).toBe(false);
  });

  it('waits for the cache to be written before a second concurrent stop() resolves', async () => {
    const { agent } = await apiKeyAgent('1h');
    await agent.start();
    const first = agent.stop();
    const second = agent.stop();
    expect(second).toBe(first);
    await second;
  });
});

describe('listeners', () => {
  it('logs a licenseChanged listener that throws and keeps refreshing', async () => {
    const { server, agent } = await apiKeyAgent();
    agent.on('licenseChanged', () => {
      throw new Error('listener bug');
    });
    await agent.start();
    await waitForRequests(server, 3, 5_000);
    expect(agent.license().tier).toBe('Pro');
    expect(e2e.logs.at(ERROR).some((line) => line.msg.includes('licenseChanged listener threw'))).toBe(true);
  });
});

describe('trusted keys', () => {
  it('rejects a JWKS whose keys are not keys when the agent is created, naming the option', async () => {
    expect(() => e2e.agent({ trustedKeys: { keys: [1 as never] } })).toThrow(/invalid option trustedKeys/);
  });
});
