import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LicenseStateDirError } from '../../src/errors.js';
import { readFileIfExists, removeOrphanedTempFiles, writeFileAtomic } from '../../src/state/atomic-file.js';
import { useTempDir } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<LicenseStateDirError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(LicenseStateDirError);
  return error as LicenseStateDirError;
}

describe('writeFileAtomic', () => {
  const tempDir = useTempDir();

  it('writes the content readable by the owner only and leaves no temp file', async () => {
    const file = path.join(tempDir(), 'data.json');
    await writeFileAtomic(file, '{"a":1}\n');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(tempDir())).toEqual(['data.json']);
  });

  it('replaces an existing file, and tightens its mode to 0600', async () => {
    const file = path.join(tempDir(), 'data.json');
    await writeFile(file, 'old');
    await chmod(file, 0o644);
    await writeFileAtomic(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('fails with the path and ENOTDIR when the directory is a file, creating nothing', async () => {
    const parent = path.join(tempDir(), 'not-a-dir');
    await writeFile(parent, 'a file');
    const file = path.join(parent, 'data.json');
    const error = await rejection(writeFileAtomic(file, 'new'));
    expect(error).toMatchObject({ code: 'ERR_LICENSE_STATE_DIR', path: file });
    expect(error.message).toContain(file);
    expect(error.message).toContain('ENOTDIR');
    expect(await readdir(tempDir())).toEqual(['not-a-dir']);
  });

  it('keeps the old content and removes its temp file when the final rename fails', async () => {
    // A directory in place of the target makes rename fail after the temp file is complete.
    const target = path.join(tempDir(), 'data.json');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'old');
    const error = await rejection(writeFileAtomic(target, 'new'));
    expect(error.message).toMatch(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(await readFile(path.join(target, 'inside'), 'utf8')).toBe('old');
    expect(await readdir(tempDir())).toEqual(['data.json']);
  });

  it('keeps the old content and removes its temp file when writing the data fails', async () => {
    const file = path.join(tempDir(), 'data.json');
    await writeFile(file, 'old');
    // Data the file handle refuses: the failure happens after the temp file was created.
    const error = await rejection(writeFileAtomic(file, 42 as unknown as string));
    expect(error.path).toBe(file);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(tempDir())).toEqual(['data.json']);
  });

  it('lets a concurrent reader see only complete versions of the file', async () => {
    const file = path.join(tempDir(), 'data.txt');
    // Large enough that a non-atomic write would be observed half done.
    const versions = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(512 * 1024));
    await writeFileAtomic(file, versions[0]!);
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (writing) seen.add(await readFile(file, 'utf8'));
    })();
    for (let round = 0; round < 10; round++) {
      for (const version of versions) await writeFileAtomic(file, version);
    }
    writing = false;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    for (const content of seen) expect(versions).toContain(content);
  });

  it('ends with one complete version when many writes race on the same file', async () => {
    const file = path.join(tempDir(), 'data.txt');
    const versions = Array.from({ length: 20 }, (_, index) => `${index}:`.padEnd(64 * 1024, String(index % 10)));
    await Promise.all(versions.map((version) => writeFileAtomic(file, version)));
    expect(versions).toContain(await readFile(file, 'utf8'));
    expect(await readdir(tempDir())).toEqual(['data.txt']);
  });
});

describe('readFileIfExists', () => {
  const tempDir = useTempDir();

  it('returns the content of an existing file', async () => {
    const file = path.join(tempDir(), 'data.txt');
    await writeFile(file, 'héllo\n');
    expect(await readFileIfExists(file)).toBe('héllo\n');
  });

  it('returns undefined when the file or its directory does not exist', async () => {
    expect(await readFileIfExists(path.join(tempDir(), 'missing'))).toBeUndefined();
    expect(await readFileIfExists(path.join(tempDir(), 'no-dir', 'missing'))).toBeUndefined();
  });

  it('fails with the path and the error code when the path is a directory', async () => {
    const error = await rejection(readFileIfExists(tempDir()));
    expect(error).toMatchObject({ code: 'ERR_LICENSE_STATE_DIR', path: tempDir() });
    expect(error.message).toContain('EISDIR');
  });
});

describe('removeOrphanedTempFiles', () => {
  const orphanDir = useTempDir();

  it('removes the temp files of dead processes and keeps live ones and every other file', async () => {
    const dir = orphanDir();
    const dead = '.license-cache.json.999999999.0123456789ab.tmp';
    const live = `.license-cache.json.${process.pid}.0123456789ab.tmp`;
    for (const name of [dead, live, 'license-cache.json', 'instance-id', '.notes.tmp']) await writeFile(path.join(dir, name), 'x');
    await removeOrphanedTempFiles(dir);
    expect((await readdir(dir)).sort()).toEqual(['.notes.tmp', live, 'instance-id', 'license-cache.json'].sort());
  });

  it('does not throw for a directory that is not there', async () => {
    await expect(removeOrphanedTempFiles(path.join(orphanDir(), 'missing'))).resolves.toBeUndefined();
  });
});
