import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTANCE_ID_FILE, isUuid, loadInstanceId, type InstanceId } from '../../src/state/instance-id.js';
import { captureLogs, WARN } from '../support/logs.js';
import { useTempDir } from './helpers.js';

const V4_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/;

describe('isUuid', () => {
  it('accepts canonical UUIDs of any version, in either case', () => {
    expect(isUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(true); // v1
    expect(isUuid('0b9c1f9e-6a3d-4c1e-9a53-2f5f2a9d7c10')).toBe(true); // v4
    expect(isUuid('0B9C1F9E-6A3D-4C1E-9A53-2F5F2A9D7C10')).toBe(true);
    expect(isUuid('886313e1-3b8a-5372-9b90-0c9aee199e5d')).toBe(true); // v5
    expect(isUuid('018f3b4e-7c2a-7d3e-b5a1-3c9d2e8f1a4b')).toBe(true); // v7
  });

  it('rejects anything that is not a canonical UUID', () => {
    for (const value of [
      '',
      'not-a-uuid',
      '00000000-0000-0000-0000-000000000000', // nil: no version, no variant
      '0b9c1f9e6a3d4c1e9a532f5f2a9d7c10', // no dashes
      '{0b9c1f9e-6a3d-4c1e-9a53-2f5f2a9d7c10}',
      '0b9c1f9e-6a3d-4c1e-9a53-2f5f2a9d7c10\n',
      '0b9c1f9e-6a3d-4c1e-9a53-2f5f2a9d7c1g',
      '0b9c1f9e-6a3d-4c1e-7a53-2f5f2a9d7c10', // variant bits 0xxx
    ]) {
      expect(isUuid(value), value).toBe(false);
    }
  });
});

describe('loadInstanceId', () => {
  const tempDir = useTempDir();
  const idFile = (): string => path.join(tempDir(), INSTANCE_ID_FILE);

  it('creates a v4 UUID with a newline, readable by the owner only, on the first start', async () => {
    const { logger: log, lines } = captureLogs();
    const result = await loadInstanceId(tempDir(), log);
    const content = await readFile(idFile(), 'utf8');
    expect(content).toMatch(V4_LINE);
    expect(result).toEqual({ id: content.trim(), persisted: true });
    expect((await stat(idFile())).mode & 0o777).toBe(0o600);
    expect(await readdir(tempDir())).toEqual([INSTANCE_ID_FILE]);
    expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
  });

  it('creates the state directory when it does not exist yet', async () => {
    const dir = path.join(tempDir(), 'nested', 'state');
    const { logger: log } = captureLogs();
    const result = await loadInstanceId(dir, log);
    expect(result.persisted).toBe(true);
    expect(await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8')).toBe(`${result.id}\n`);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('reuses the instance id persisted by an earlier start', async () => {
    const { logger: log, lines } = captureLogs();
    const first = await loadInstanceId(tempDir(), log);
    const second = await loadInstanceId(tempDir(), log);
    expect(second).toEqual(first);
    expect(lines.filter((line) => line.level >= WARN)).toEqual([]);
  });

  it('reuses a hand-written id, ignoring surrounding whitespace and keeping its case', async () => {
    await writeFile(idFile(), '  6BA7B810-9DAD-11D1-80B4-00C04FD430C8 \r\n\n');
    const { logger: log, lines } = captureLogs();
    expect(await loadInstanceId(tempDir(), log)).toEqual({
      id: '6BA7B810-9DAD-11D1-80B4-00C04FD430C8',
      persisted: true,
    });
    expect(lines).toEqual([]);
  });

  it.each([
    ['garbage', 'not a uuid\n'],
    ['an empty file', ''],
    ['a truncated id', '0b9c1f9e-6a3d-4c1e'],
  ])('replaces %s with a new id and warns once', async (_name, content) => {
    await writeFile(idFile(), content);
    const { logger: log, lines } = captureLogs();
    const result = await loadInstanceId(tempDir(), log);
    expect(result.persisted).toBe(true);
    expect(await readFile(idFile(), 'utf8')).toMatch(V4_LINE);
    expect(await readFile(idFile(), 'utf8')).toBe(`${result.id}\n`);
    const warnings = lines.filter((line) => line.level >= WARN);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'instance id file is malformed; replaced it with a new id',
        path: idFile(),
      }),
    ]);
    expect(await loadInstanceId(tempDir(), log)).toEqual(result);
    expect(lines.filter((line) => line.level >= WARN)).toHaveLength(1);
  });

  it('runs with an in-memory id and warns once when the state directory cannot be created', async () => {
    const parent = path.join(tempDir(), 'a-file');
    await writeFile(parent, 'not a directory');
    const dir = path.join(parent, 'state');
    const { logger: log, lines } = captureLogs();
    const first = await loadInstanceId(dir, log);
    expect(first.persisted).toBe(false);
    expect(isUuid(first.id)).toBe(true);
    expect(lines).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'cannot read or write the instance id; using an in-memory id for this run',
        path: path.join(dir, INSTANCE_ID_FILE),
        code: 'ENOTDIR',
      }),
    ]);
    // Nothing is stored, so every start gets a different id.
    expect((await loadInstanceId(dir, log)).id).not.toBe(first.id);
  });

  it('runs with an in-memory id when a malformed file cannot be replaced, warning once', async () => {
    // The id path is a directory: reading it fails, and nothing can replace it.
    await mkdir(idFile());
    const { logger: log, lines } = captureLogs();
    const result = await loadInstanceId(tempDir(), log);
    expect(result.persisted).toBe(false);
    expect(isUuid(result.id)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: WARN, code: 'EISDIR', path: idFile() });
  });
});

describe('loadInstanceId in processes starting at the same time', () => {
  const tempDir = useTempDir();
  const fixture = path.join(import.meta.dirname, 'fixtures', 'print-instance-id.ts');

  /** Starts the fixture, which loads its modules, prints "ready" and waits for "go" on stdin. */
  async function startChild(dir: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    while (!stdout.includes('ready\n')) {
      await Promise.race([once(child.stdout, 'data'), exited]);
      if (child.exitCode !== null) throw new Error(`fixture exited early: ${stderr}`);
    }
    return {
      go: () => child.stdin.write('go\n'),
      result: async (): Promise<InstanceId> => {
        const [code] = await exited;
        expect(code, stderr).toBe(0);
        return JSON.parse(stdout.slice('ready\n'.length)) as InstanceId;
      },
      lostTheRace: () => stderr.includes('another process created the instance id first'),
    };
  }

  it('gives every process the same id when they create it at once', async () => {
    // Rounds run side by side, each in its own directory, to keep the test short.
    const rounds = await Promise.all(
      Array.from({ length: 10 }, async (_, round) => {
        const dir = await mkdtemp(path.join(tempDir(), `round-${round}-`));
        const children = await Promise.all([startChild(dir), startChild(dir)]);
        for (const child of children) child.go();
        const results = await Promise.all(children.map((child) => child.result()));
        const stored = (await readFile(path.join(dir, INSTANCE_ID_FILE), 'utf8')).trim();
        return { dir, stored, results, raced: children.some((child) => child.lostTheRace()) };
      }),
    );
    for (const { dir, stored, results } of rounds) {
      expect(isUuid(stored)).toBe(true);
      expect(results).toEqual([
        { id: stored, persisted: true },
        { id: stored, persisted: true },
      ]);
      expect(await readdir(dir)).toEqual([INSTANCE_ID_FILE]);
    }
    // Proof that the test exercised the race: in some round both processes found no file and one
    // lost the link (the "go" signal makes this happen in nearly every round).
    expect(rounds.filter((round) => round.raced).length).toBeGreaterThan(0);
  }, 60_000);
});
