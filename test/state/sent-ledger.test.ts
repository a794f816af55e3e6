import { appendFile, chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  destinationHost,
  SENT_LEDGER_FILE,
  SENT_LEDGER_MAX_BYTES,
  SentLedger,
  type SentRecord,
} from '../../src/state/sent-ledger.js';
import { captureLogs, WARN } from '../support/logs.js';
import { useTempDir } from './helpers.js';

function record(index: number, body: unknown = { instance_id: 'id', version: '1.0.0', n: index }): SentRecord {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
    host: 'license.example.com',
    endpoint: index % 2 === 0 ? 'token' : 'refresh',
    status: index % 3 === 0 ? null : 200,
    body,
  };
}

// About 100 KiB per line: eleven of them cross the 1 MiB limit.
const BIG_PADDING = 'x'.repeat(100 * 1024);
const bigRecord = (index: number): SentRecord => record(index, { n: index, padding: BIG_PADDING });

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
}

/** The `body.n` of each line of `file`. */
async function numbersIn(file: string): Promise<number[]> {
  return (await lines(file)).map((line) => (JSON.parse(line) as { body: { n: number } }).body.n);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);

describe('SentLedger', () => {
  const tempDir = useTempDir();

  it('reads back the records it appended, in order, one JSON line each', async () => {
    const { logger: log, lines: logs } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    const records = [record(1), record(2), record(3)];
    for (const each of records) await ledger.append(each);
    expect(ledger.path).toBe(path.join(tempDir(), SENT_LEDGER_FILE));
    expect(await ledger.read()).toEqual(records);
    expect((await lines(ledger.path)).map((line) => JSON.parse(line) as unknown)).toEqual(records);
    expect(logs).toEqual([]);
  });

  it('reads an empty ledger when no file exists', async () => {
    const { logger: log } = captureLogs();
    expect(await new SentLedger(path.join(tempDir(), 'missing'), log).read()).toEqual([]);
  });

  it('creates the ledger readable by the owner only', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    await ledger.append(record(1));
    expect((await stat(ledger.path)).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing ledger to 0600 and keeps its records', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    await writeFile(ledger.path, `${JSON.stringify(record(1))}\n`, { mode: 0o644 });
    await chmod(ledger.path, 0o644);
    await ledger.append(record(2));
    expect((await stat(ledger.path)).mode & 0o777).toBe(0o600);
    expect(await ledger.read()).toEqual([record(1), record(2)]);
  });

  it('creates the state directory when it does not exist yet', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(path.join(tempDir(), 'nested', 'state'), log);
    await ledger.append(record(1));
    expect(await ledger.read()).toEqual([record(1)]);
  });

  // Each big line is about 100.1 KiB: ten fit under 1 MiB, the eleventh would not.
  it('rotates to sent.jsonl.1 before the live file would exceed 1 MiB, and reads both in order', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    const records = Array.from({ length: 12 }, (_, index) => bigRecord(index));
    for (const each of records) await ledger.append(each);
    const rotated = await stat(`${ledger.path}.1`);
    expect(rotated.size).toBeLessThanOrEqual(SENT_LEDGER_MAX_BYTES);
    expect(rotated.mode & 0o777).toBe(0o600);
    expect(await numbersIn(`${ledger.path}.1`)).toEqual(range(0, 10));
    expect(await numbersIn(ledger.path)).toEqual(range(10, 12));
    expect((await stat(ledger.path)).size).toBeLessThan(3 * 100 * 1024);
    expect(await ledger.read()).toEqual(records);
  });

  it('replaces an older sent.jsonl.1 on the second rotation', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    const records = Array.from({ length: 24 }, (_, index) => bigRecord(index));
    for (const each of records) await ledger.append(each);
    expect(await numbersIn(`${ledger.path}.1`)).toEqual(range(10, 20));
    expect(await numbersIn(ledger.path)).toEqual(range(20, 24));
    expect(await ledger.read()).toEqual(records.slice(10));
  });

  it('skips a torn last line left by a crash and keeps the record appended after it', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    await ledger.append(record(1));
    await appendFile(ledger.path, '{"at":"2026-01-01T00:00:02.000Z","host":"lic');
    expect(await ledger.read()).toEqual([record(1)]);
    await ledger.append(record(3));
    expect(await ledger.read()).toEqual([record(1), record(3)]);
  });

  it('skips lines that are JSON but not records', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    await writeFile(ledger.path, ['42', 'null', '{"at":1}', JSON.stringify(record(1)), ''].join('\n'));
    expect(await ledger.read()).toEqual([record(1)]);
  });

  it('writes 50 concurrent appends as 50 whole JSON lines', async () => {
    const { logger: log } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    const records = Array.from({ length: 50 }, (_, index) => record(index, { n: index, padding: 'y'.repeat(5000) }));
    for (const each of records) void ledger.append(each);
    await ledger.flush();
    const written = await lines(ledger.path);
    expect(written).toHaveLength(50);
    expect(written.map((line) => JSON.parse(line) as unknown)).toEqual(records);
    expect(await ledger.read()).toEqual(records);
  });

  it('logs one warning with the path and code, and never rejects, when the directory cannot be created', async () => {
    const parent = path.join(tempDir(), 'not-a-dir');
    await writeFile(parent, 'a regular file');
    const { logger: log, lines: logs } = captureLogs();
    const ledger = new SentLedger(path.join(parent, 'state'), log);
    await expect(ledger.append(record(1))).resolves.toBeUndefined();
    await expect(ledger.append(record(2))).resolves.toBeUndefined();
    void ledger.append(record(3));
    await ledger.flush();
    const warnings = logs.filter((line) => line.level >= WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: ledger.path, code: 'ENOTDIR' });
  });

  it('warns again when writes fail after one has succeeded', async () => {
    const dir = path.join(tempDir(), 'state');
    await writeFile(dir, 'a regular file where the directory should be');
    const { logger: log, lines: logs } = captureLogs();
    const ledger = new SentLedger(dir, log);
    await ledger.append(record(1));
    await ledger.append(record(2));
    await rm(dir);
    await ledger.append(record(3));
    await rm(dir, { recursive: true });
    await writeFile(dir, 'a regular file again');
    await ledger.append(record(4));
    await ledger.append(record(5));
    expect(logs.filter((line) => line.level >= WARN)).toHaveLength(2);
  });

  it('never rejects on a body that JSON cannot encode', async () => {
    const { logger: log, lines: logs } = captureLogs();
    const ledger = new SentLedger(tempDir(), log);
    await expect(ledger.append(record(1, { count: 1n }))).resolves.toBeUndefined();
    await ledger.append(record(2));
    expect(await ledger.read()).toEqual([record(2)]);
    expect(logs.filter((line) => line.level >= WARN)).toHaveLength(1);
  });
});

describe('destinationHost', () => {
  it('keeps host and port only: no credentials, path, query or fragment', () => {
    expect(destinationHost('https://user:pw@license.example.com:8443/v1/refresh?token=x#y')).toBe(
      'license.example.com:8443',
    );
    expect(destinationHost('https://license.example.com/api/v1/licenses/token')).toBe('license.example.com');
    expect(destinationHost('http://[::1]:9000/r')).toBe('[::1]:9000');
  });
});
