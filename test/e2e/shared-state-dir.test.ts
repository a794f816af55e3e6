/**
 * Workers of one server share a state directory: they agree on one instance id and take turns at
 * the license server instead of each refreshing, and all end on the same license.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useE2E } from './support/harness.js';

const e2e = useE2E();

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(WORKER), '../../..');

interface WorkerReport {
  readonly instanceId: string;
  readonly tier: string;
  readonly expiresAt: string;
}

interface Worker {
  readonly started: Promise<void>;
  /** Asks the worker to report and stop; resolves with its report. */
  finish(): Promise<WorkerReport>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('started\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker exited early with ${code}: ${stderr}`)));
  });
  return {
    started,
    async finish() {
      child.stdin.write('report\n');
      const code = await exited;
      if (code !== 0) throw new Error(`worker exited with ${code}: ${stderr}`);
      return JSON.parse(stdout.trim().split('\n').pop() as string) as WorkerReport;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workers sharing one state directory', () => {
  it('agree on one instance id, refresh about once per interval between them, and end on the same license', async () => {
    const server = await e2e.server({ apiKeys: { 'sk-worker_key': { sub: 'lic-shared', tier: 'Enterprise' } } });
    const dir = await e2e.tempDir();
    const jwksFile = path.join(await e2e.tempDir(), 'jwks.json');
    await writeFile(jwksFile, JSON.stringify(server.keys.jwks));
    const intervalMs = 1_500;
    const intervals = 5;

    const workers = Array.from({ length: 8 }, () => startWorker([dir, server.url, jwksFile, `${intervalMs}ms`]));
    await Promise.all(workers.map((worker) => worker.started));
    const atStart = server.requests.length;
    await sleep(intervals * intervalMs);
    const issued = server.requests.length - atStart;
    // From now on the server refuses: no new license, so every worker must end on the last one
    // issued, adopting it from the cache at its next tick.
    server.respondWith(() => ({ status: 503, body: 'maintenance' }));
    await sleep(2 * intervalMs + 500);
    const reports = await Promise.all(workers.map((worker) => worker.finish()));

    // About one request per interval between them; eight uncoordinated workers would make 40.
    expect(atStart).toBeLessThanOrEqual(3);
    expect(issued).toBeGreaterThanOrEqual(intervals - 1);
    expect(issued).toBeLessThanOrEqual(intervals + 2);
    expect(new Set(reports.map((report) => report.instanceId)).size).toBe(1);
    expect(new Set(reports.map((report) => report.expiresAt)).size).toBe(1);
    expect(reports.every((report) => report.tier === 'Enterprise')).toBe(true);
  }, 60_000);
});
