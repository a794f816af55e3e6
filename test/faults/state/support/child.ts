/**
 * Child processes for the state-on-disk faults: a fixture of `test/faults/state/fixtures/` run with
 * `node --import tsx`, its stdout read line by line, killed for sure when the test ends.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ROOT = path.resolve(FIXTURES, '../../../..');

export interface Fixture {
  readonly pid: number;
  /** Resolves with the first stdout line starting with `prefix`, seen now or later. */
  line(prefix: string, timeoutMs: number): Promise<string>;
  /** Writes one line to the child's stdin. */
  send(text: string): void;
  /** Resolves with the exit code (or the signal's name) once the child is gone. */
  readonly exited: Promise<number | string>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL, and wait until the child is gone. */
  kill(): Promise<number | string>;
}

export function startFixture(name: string, args: readonly string[], options: Pick<SpawnOptions, 'uid' | 'gid' | 'env'> = {}): Fixture {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURES, name), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  // A child killed while the parent writes to it must not crash the test with EPIPE.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const wake of waiters.splice(0)) wake();
    });
    // A child that cannot start (node not executable by the uid asked for) says why at once.
    child.on('error', (error) => {
      stderr += `could not start ${name}: ${error.message}\n`;
      resolve('spawn failed');
      for (const wake of waiters.splice(0)) wake();
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));

  return {
    pid: child.pid as number,
    async line(prefix, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((line) => line.startsWith(prefix));
        if (found !== undefined) return found;
        if (gone) throw new Error(`${name} exited before printing "${prefix}": ${stderr}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${name} did not print "${prefix}" within ${timeoutMs} ms: ${stderr}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
    send(text) {
      child.stdin.write(`${text}\n`);
    },
    exited,
    stderr: () => stderr,
    kill() {
      if (!gone) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Kills every fixture still running: for `afterEach`. */
export async function killAll(fixtures: Fixture[]): Promise<void> {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.kill()));
}
