/**
 * Live inspection end to end: an agent with the `inspect` option sends its statechart to Stately's
 * inspector relay (`@statelyai/inspect/server`) on a free localhost port, and a WebSocket client
 * receives what the relay would hand to the browser. No JWT, API key or license key may be in it;
 * without the option the package is never loaded; after stop() the process can exit.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInspectorServer } from '@statelyai/inspect/server';
import { WebSocket } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readCache, unusedPort, useE2E, waitFor } from '../e2e/support/harness.js';

const e2e = useE2E();
const API_KEY = 'sk-viz_inspect_0123456789';
const FIXTURE = fileURLToPath(new URL('./fixtures/inspected-agent.ts', import.meta.url));
const RECORD_IMPORTS = fileURLToPath(new URL('./fixtures/record-imports.mjs', import.meta.url));
const ROOT = path.resolve(path.dirname(FIXTURE), '../../..');

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Starts a relay on a free port and a client of it that collects every message it relays. */
async function relayWithReceiver(): Promise<{ port: number; received: string[] }> {
  const port = await unusedPort();
  const relay = createInspectorServer({ port, autoOpen: false });
  cleanups.push(() => relay.stop());
  const received: string[] = [];
  const receiver = await waitFor(async () => {
    const socket = new WebSocket(`ws://localhost:${port}`);
    const opened = await new Promise<boolean>((resolve) => {
      socket.onopen = () => resolve(true);
      socket.onerror = () => resolve(false);
    });
    return opened ? socket : undefined;
  }, 5_000, 'the relay to accept a connection');
  receiver.onmessage = (message) => void received.push(String(message.data));
  cleanups.push(() => receiver.close());
  return { port, received };
}

describe('live inspection', () => {
  it('shows the agent statechart to the inspector with no JWT, API key or license key in it', async () => {
    const server = await e2e.server({ apiKeys: { [API_KEY]: { sub: 'lic-inspected', tier: 'Pro' } } });
    // Configured too, but past its grace period: the API key is the license's source (SoftClient4ES's order).
    const licenseKey = await server.mint({ sub: 'lic-configured', tier: 'Pro', validFor: 86_400_000 }, Date.now() - 60 * 86_400_000);
    const stateDir = await e2e.tempDir();
    const { port, received } = await relayWithReceiver();
    const agent = e2e.agent({ apiKey: API_KEY, licenseKey, serverUrl: server.url, trustedKeys: server.keys.jwks, stateDir, inspect: { port } });
    await agent.start();
    expect((await agent.refreshNow()).status).toBe('refreshed');
    await agent.stop();
    const all = () => received.join('\n');
    // Wait for what shows the inspection worked: the fetched license's result, and the stop.
    await waitFor(() => all().includes('xstate.done.actor.regularFetch') && all().includes('agent.stop'), 5_000, 'the inspection events');
    const jwt = (await readCache(stateDir))?.jwt as string;
    expect(all()).toContain('lic-inspected');
    expect(all()).toContain('[redacted]');
    expect(jwt).toMatch(/^eyJ/);
    expect(all()).not.toContain(jwt);
    expect(all()).not.toContain(licenseKey);
    expect(all()).not.toContain(API_KEY);
    expect(all()).not.toMatch(/eyJ[\w-]{10,}/);
  });
});

type Mode = 'relay' | 'no-relay' | 'off';

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The `@statelyai/inspect` modules the process resolved. */
  readonly imports: string;
}

/** Runs the fixture in a child process in `dir`; kills it (the run then has no exit code) if it has not exited in time. */
async function runInspectedAgent(mode: Mode, dir: string): Promise<ChildRun> {
  const importLog = path.join(dir, 'imports.log');
  const port = String(await unusedPort());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', RECORD_IMPORTS, FIXTURE, mode, dir, port], {
      cwd: ROOT,
      env: { ...process.env, IMPORT_LOG: importLog },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      void readFile(importLog, 'utf8').catch(() => '').then((imports) => resolve({ code, stdout, stderr, imports }));
    });
  });
}

describe('an inspected agent process', () => {
  // The three processes run side by side: each takes seconds to start.
  const runs = new Map<Mode, Promise<ChildRun>>();
  const dirs: string[] = [];
  beforeAll(async () => {
    for (const mode of ['relay', 'no-relay', 'off'] as const) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-inspect-'));
      dirs.push(dir);
      runs.set(mode, runInspectedAgent(mode, dir));
    }
  });
  afterAll(async () => {
    await Promise.allSettled(runs.values());
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('exits by itself after stop() while connected to the relay', async () => {
    const run = await runs.get('relay');
    expect(run).toMatchObject({ code: 0, stdout: 'stopped\n', stderr: '' });
    expect(run?.imports).toContain('@statelyai/inspect');
  }, 30_000);

  it('exits by itself after stop() while the relay cannot be reached', async () => {
    const run = await runs.get('no-relay');
    expect(run).toMatchObject({ code: 0, stdout: 'stopped\n', stderr: '' });
  }, 30_000);

  it('never loads @statelyai/inspect without the inspect option', async () => {
    const run = await runs.get('off');
    expect(run).toMatchObject({ code: 0, stdout: 'stopped\n' });
    expect(run?.imports).toBe('');
  }, 30_000);
});
