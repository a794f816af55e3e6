/** Shared test helpers for the state modules: real temp directories and captured pino logs. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';

/** A pino log line, parsed. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const WARN = 40;

/** A trace-level logger whose output is collected as parsed JSON lines. */
export function captureLogs(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  // pino writes each line synchronously to any object with a write method (its DestinationStream).
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  return { log: pino({ level: 'trace' }, stream), lines };
}

/** A fresh directory under the OS temp dir for each test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-state-'));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (!dir) throw new Error('temp dir used outside a test');
    return dir;
  };
}
