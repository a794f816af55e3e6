/**
 * Running a suite: each suite is its own child process (a fresh heap, its own JIT state, and
 * `--expose-gc`), started by `bench/run.ts`; it writes its result as JSON to the file named by its
 * first argument. Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SuiteResult } from './report.js';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT_DIR = path.dirname(BENCH_DIR);
/** Where `bench/run.ts` builds the package (`scripts/build.ts`, as `npm run build` does for dist/). */
export const BUILD_DIR = path.join(BENCH_DIR, '.build');
/** Every module compiled by tsc, unbundled: for what the package does not export, and for comparison. */
export const MODULES_DIR = path.join(BUILD_DIR, 'modules');

export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** The body of a suite file: runs `main` and writes its result where the parent asked. */
export function runSuite(main: () => Promise<Omit<SuiteResult, 'elapsedMs'>>): void {
  const out = process.argv[2];
  const started = performance.now();
  main().then(
    async (result) => {
      const full: SuiteResult = { ...result, elapsedMs: Math.round(performance.now() - started) };
      if (out) await writeFile(out, JSON.stringify(full));
      else console.log(JSON.stringify(full, null, 2));
      // A suite leaves nothing running, but a stray keep-alive timer must not hold the bench up.
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** Runs `bench/suites/<name>.ts` in a child process with the given Node flags and reads its result. */
export async function runSuiteInChild(name: string, nodeFlags: readonly string[], out: string): Promise<SuiteResult> {
  const script = path.join(BENCH_DIR, 'suites', `${name}.ts`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, out], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`suite ${name} exited with code ${code}`);
  return JSON.parse(await readFile(out, 'utf8')) as SuiteResult;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

/** Heap in use after two full collections. */
export function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const FS_REQUESTS = new Set(['FSReqPromise', 'FSReqCallback', 'CloseReq', 'FileHandleCloseReq']);

/** True while a file system request is in flight in this process (a write, an fsync, a close...). */
export function fileSystemBusy(): boolean {
  return process.getActiveResourcesInfo().some((name) => FS_REQUESTS.has(name));
}

const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Sleeps the main thread for `ms` (a fraction of a millisecond, typically) without leaving the
 * current turn. Polling loops nap between turns instead of spinning: a spinning main thread would
 * compete for the CPU with the libuv threads doing the very file writes it waits for.
 */
export function nap(ms = 0.05): void {
  Atomics.wait(napCell, 0, 0, ms);
}

/** Waits, polling every turn of the event loop (with a nap), until `done()` is true. */
export async function pollUntil(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await nextTurn();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`${what}: still waiting after ${timeoutMs} ms`);
    nap();
  }
}
