/**
 * `stop()` end to end: it aborts a request in flight at once, and leaves nothing behind, so that
 * the process embedding the agent can exit.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useE2E, waitFor, waitForRequests } from './support/harness.js';

const e2e = useE2E();

const FIXTURE = fileURLToPath(new URL('./fixtures/stop-in-flight.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(FIXTURE), '../../..');

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the child's report (printed after stop()) to its exit. */
  readonly exitAfterReportMs: number;
}

function runChild(args: string[], killAfterMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let reportedAt = Number.NaN;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (Number.isNaN(reportedAt) && stdout.includes('\n')) reportedAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, exitAfterReportMs: Date.now() - reportedAt });
    });
  });
}

describe('stop()', () => {
  it('aborts a request in flight promptly', async () => {
    const stalled = await e2e.stallingServer();
    const agent = e2e.agent({ apiKey: 'sk-e2e_stop_key', serverUrl: stalled.url, stateDir: await e2e.tempDir(), readTimeout: '30s' });
    const started = agent.start();
    await waitForRequests(stalled, 1, 3_000);
    const stopAt = Date.now();
    await agent.stop();
    await started;
    expect(Date.now() - stopAt).toBeLessThan(1_000);
    await waitFor(() => stalled.requests[0]!.closedAt !== undefined, 1_000, 'the request socket to close');
    expect(agent.status().state).toBe('stopped');
  });

  it('sends nothing and records nothing when stop() comes as the first fetch begins (the refresh path still loading)', async () => {
    const server = await e2e.server({ apiKeys: { 'sk-e2e_stop_key': { sub: 'lic-stop', tier: 'Pro' } } });
    const stateDir = await e2e.tempDir();
    const agent = e2e.agent({ apiKey: 'sk-e2e_stop_key', serverUrl: server.url, stateDir, trustedKeys: server.keys.jwks });
    let stopping: Promise<void> | undefined;
    agent.on('stateChanged', (state) => {
      if (state === 'firstLicense.fetching') stopping ??= agent.stop();
    });
    await agent.start();
    await stopping;
    const seenAtStop = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(stopping).toBeDefined();
    expect(server.requests.length).toBe(seenAtStop);
    expect(agent.status().state).toBe('stopped');
    expect(existsSync(path.join(stateDir, 'refresh.lock'))).toBe(false);
    // Nothing left the machine, and the ledger of what was sent does not claim otherwise.
    expect(seenAtStop).toBe(0);
    expect(existsSync(path.join(stateDir, 'sent.jsonl'))).toBe(false);
  });

  it('lets the process exit after stop() with a request in flight', async () => {
    const run = await runChild([await e2e.tempDir()], 15_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { stopMs: number; requestClosed: boolean; state: string };
    expect(report.requestClosed).toBe(true);
    expect(report.stopMs).toBeLessThan(1_000);
    expect(report.state).toBe('stopped');
    expect(run.exitAfterReportMs).toBeLessThan(3_000);
  });
});
