/**
 * Fitting the Node.js ecosystem: usage published on diagnostics channels, the agent's own
 * transitions and refresh results on channels for APM tools, proxies from the environment or the
 * `proxy` option (through a real CONNECT proxy), and an instance id pinned by a container.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type RefreshMessage, type StateMessage } from '../../src/index.js';
import { bodyOf, useE2E, waitFor, waitForRequests } from './support/harness.js';

const e2e = useE2E();
const PINNED = '6f1c1a52-8d0e-4b8a-9c41-2f7f0b1e9a3d';

async function apiKeyAgent(options: Record<string, unknown> = {}) {
  const server = await e2e.server({ apiKeys: { 'sk-key-1': { sub: 'lic-1', tier: 'Pro' } } });
  const agent = e2e.agent({
    apiKey: 'sk-key-1',
    serverUrl: server.url,
    stateDir: await e2e.tempDir(),
    trustedKeys: server.keys.jwks,
    refresh: { interval: '24h' },
    ...options,
  });
  return { server, agent };
}

/** A CONNECT proxy on 127.0.0.1 that counts the tunnels it opened. */
async function startConnectProxy(): Promise<{ url: string; tunnels: () => number; close: () => Promise<void> }> {
  let tunnels = 0;
  const sockets = new Set<net.Socket>();
  const proxy: Server = createServer((_, response) => response.writeHead(405).end());
  proxy.on('connect', (request, client: net.Socket, head: Buffer) => {
    tunnels++;
    const [host, port] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tunnels: () => tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe('diagnostics channels', () => {
  it('counts usage the server publishes on the channels, with no reference to the agent', async () => {
    const { server, agent } = await apiKeyAgent();
    await agent.start();
    diagnostics_channel.channel(CHANNELS.query).publish({});
    diagnostics_channel.channel(CHANNELS.query).publish({ count: 2 });
    diagnostics_channel.channel(CHANNELS.join).publish(undefined);
    diagnostics_channel.channel(CHANNELS.materializedViews).publish({ count: 3 });
    diagnostics_channel.channel(CHANNELS.clusters).publish({ count: 2 });
    await agent.refreshNow();
    expect(bodyOf(server.requests[1]!)['telemetry']).toEqual({ queries_total: 3, joins_total: 1, mvs_active: 3, clusters_connected: 2 });
  });

  it('stops listening to the channels once stopped', async () => {
    const { agent } = await apiKeyAgent();
    await agent.start();
    await agent.stop();
    diagnostics_channel.channel(CHANNELS.query).publish({});
    expect(agent.previewTelemetry().body).toMatchObject({ telemetry: { queries_total: 0 } });
  });

  it('publishes its transitions and refresh results for APM tools', async () => {
    const states: StateMessage[] = [];
    const refreshes: RefreshMessage[] = [];
    const onState = (message: unknown) => states.push(message as StateMessage);
    const onRefresh = (message: unknown) => refreshes.push(message as RefreshMessage);
    diagnostics_channel.subscribe(CHANNELS.state, onState);
    diagnostics_channel.subscribe(CHANNELS.refresh, onRefresh);
    try {
      const { agent } = await apiKeyAgent();
      await agent.start();
      await waitFor(() => refreshes.length > 0, 5_000);
      expect(refreshes[0]).toMatchObject({ ok: true, forced: false, licenseId: 'lic-1', tier: 'Pro', error: null });
      expect(states.filter((s) => s.region === 'refresh').map((s) => s.to)).toEqual(['firstLicense.fetching', 'scheduled']);
      expect(states.filter((s) => s.region === 'validity').map((s) => s.to)).toEqual(['valid.longTerm', 'valid.withinMonth']);
      expect(states.some((s) => s.region === 'validity' && s.to.includes('longTerm'))).toBe(true);
    } finally {
      diagnostics_channel.unsubscribe(CHANNELS.state, onState);
      diagnostics_channel.unsubscribe(CHANNELS.refresh, onRefresh);
    }
  });
});

describe('proxies', () => {
  it('goes through the proxy named by HTTP_PROXY in the environment', async () => {
    const proxy = await startConnectProxy();
    try {
      const { server, agent } = await apiKeyAgent({ env: { HTTP_PROXY: proxy.url } });
      await agent.start();
      await waitForRequests(server, 1, 5_000);
      expect(agent.license().tier).toBe('Pro');
      expect(proxy.tunnels()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('goes straight to a host listed in NO_PROXY', async () => {
    const proxy = await startConnectProxy();
    try {
      const { server, agent } = await apiKeyAgent({ env: { http_proxy: proxy.url, no_proxy: '127.0.0.1' } });
      await agent.start();
      await waitForRequests(server, 1, 5_000);
      expect(agent.license().tier).toBe('Pro');
      expect(proxy.tunnels()).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('lets the proxy option override the environment, NO_PROXY included', async () => {
    const proxy = await startConnectProxy();
    try {
      const { agent } = await apiKeyAgent({ proxy: proxy.url, env: { NO_PROXY: '*', HTTP_PROXY: 'http://127.0.0.1:9' } });
      await agent.start();
      expect(agent.license().tier).toBe('Pro');
      expect(proxy.tunnels()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a proxy option that is not an http(s) URL, naming it', () => {
    expect(() => e2e.agent({ proxy: 'socks5://127.0.0.1:1080' })).toThrow(/invalid option proxy/);
  });
});

describe('a pinned instance id', () => {
  it('sends the id of the instanceId option and writes no instance-id file', async () => {
    const { server, agent } = await apiKeyAgent({ instanceId: PINNED });
    await agent.start();
    expect(bodyOf(server.requests[0]!)['instance_id']).toBe(PINNED);
    expect(agent.status().instanceId).toBe(PINNED);
    expect(existsSync(path.join(agent.status().stateDir as string, 'instance-id'))).toBe(false);
  });

  it('takes the id from SOFTCLIENT4ES_INSTANCE_ID', async () => {
    const { server, agent } = await apiKeyAgent({ env: { SOFTCLIENT4ES_INSTANCE_ID: PINNED.toUpperCase() } });
    await agent.start();
    expect(bodyOf(server.requests[0]!)['instance_id']).toBe(PINNED);
  });

  it('refuses an id that is not a UUID, naming the variable', () => {
    expect(() => e2e.agent({ env: { SOFTCLIENT4ES_INSTANCE_ID: 'node-1' } })).toThrow(/SOFTCLIENT4ES_INSTANCE_ID: "node-1" is not a UUID/);
  });
});
