import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fingerprintApiKey,
  LICENSE_CACHE_FILE,
  LicenseCache,
  type CachedLicense,
} from '../../src/state/license-cache.js';
import { captureLogs, useTempDir, WARN } from './helpers.js';

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsaWMtMSJ9.c2lnbmF0dXJl';
const FETCHED_AT = Date.UTC(2025, 0, 15, 10, 30, 0, 123);
const KEY_FINGERPRINT = await fingerprintApiKey('sk_live_secret');

function entry(overrides: Partial<CachedLicense> = {}): CachedLicense {
  return {
    jwt: JWT,
    fetchedAt: FETCHED_AT,
    keyFingerprint: KEY_FINGERPRINT,
    licenseId: 'lic-1',
    ...overrides,
  };
}

describe('fingerprintApiKey', () => {
  it('is the SHA-256 of the key in hex, and not the key', async () => {
    const fingerprint = await fingerprintApiKey('sk_live_secret');
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).not.toContain('sk_live_secret');
    // SHA-256("abc"), the FIPS 180-2 test vector.
    expect(await fingerprintApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await fingerprintApiKey('sk_live_other')).not.toBe(fingerprint);
  });
});

describe('LicenseCache', () => {
  const tempDir = useTempDir();
  const cacheFile = (): string => path.join(tempDir(), LICENSE_CACHE_FILE);
  const warnings = (lines: ReadonlyArray<{ level: number }>) => lines.filter((line) => line.level >= WARN);

  it('reads back what it wrote', async () => {
    const { log, lines } = captureLogs();
    const cache = new LicenseCache(tempDir(), log);
    expect(cache.path).toBe(cacheFile());
    await cache.write(entry());
    expect(await new LicenseCache(tempDir(), log).read()).toEqual(entry());
    await cache.write(entry({ keyFingerprint: null, licenseId: 'lic-2' }));
    expect(await cache.read()).toEqual(entry({ keyFingerprint: null, licenseId: 'lic-2' }));
    expect(lines).toEqual([]);
  });

  it('stores format 1 as indented JSON with an ISO date, readable by the owner only', async () => {
    const { log } = captureLogs();
    await new LicenseCache(tempDir(), log).write(entry());
    const text = await readFile(cacheFile(), 'utf8');
    expect(text).toBe(
      `${JSON.stringify(
        {
          format: 1,
          license_id: 'lic-1',
          jwt: JWT,
          fetched_at: '2025-01-15T10:30:00.123Z',
          key_fingerprint: KEY_FINGERPRINT,
        },
        null,
        2,
      )}\n`,
    );
    expect(text).not.toContain('sk_live_secret');
    expect((await stat(cacheFile())).mode & 0o777).toBe(0o600);
    expect(await readdir(tempDir())).toEqual([LICENSE_CACHE_FILE]);
  });

  it('returns undefined without logging when there is no cache yet', async () => {
    const { log, lines } = captureLogs();
    expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
    expect(await new LicenseCache(path.join(tempDir(), 'missing-dir'), log).read()).toBeUndefined();
    expect(lines).toEqual([]);
  });

  const valid = {
    format: 1,
    license_id: 'lic-1',
    jwt: JWT,
    fetched_at: '2025-01-15T10:30:00.123Z',
    key_fingerprint: null,
  };
  it.each([
    ['an empty file', ''],
    ['a blank file', '  \n'],
    ['a file cut off mid-write', JSON.stringify(valid).slice(0, 60)],
    ['JSON that is not an object', '[1, 2, 3]'],
    ['JSON null', 'null'],
    ['an unknown format', JSON.stringify({ ...valid, format: 2 })],
    ['a missing format', JSON.stringify({ ...valid, format: undefined })],
    ['a missing JWT', JSON.stringify({ ...valid, jwt: undefined })],
    ['an empty JWT', JSON.stringify({ ...valid, jwt: '' })],
    ['a numeric license id', JSON.stringify({ ...valid, license_id: 7 })],
    ['a date that is not a date', JSON.stringify({ ...valid, fetched_at: 'yesterday' })],
    ['a numeric date', JSON.stringify({ ...valid, fetched_at: 1736937000123 })],
    ['a fingerprint that is not SHA-256 hex', JSON.stringify({ ...valid, key_fingerprint: 'sk_live_secret' })],
    ['a missing fingerprint', JSON.stringify({ ...valid, key_fingerprint: undefined })],
  ])('ignores %s with one warning that does not reveal the JWT', async (_name, content) => {
    await writeFile(cacheFile(), content);
    const { log, lines } = captureLogs();
    expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({ level: WARN, msg: 'license cache is unreadable; ignoring it', path: cacheFile() }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('eyJ');
  });

  it('ignores a cache it cannot read, with one warning naming the error code', async () => {
    await mkdir(cacheFile());
    const { log, lines } = captureLogs();
    expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'license cache is unreadable; ignoring it',
        reason: expect.stringContaining('EISDIR'),
      }),
    ]);
  });

  it('keeps the last of many writes fired without waiting', async () => {
    const { log, lines } = captureLogs();
    const cache = new LicenseCache(tempDir(), log);
    const entries = Array.from({ length: 20 }, (_, index) =>
      entry({ licenseId: `lic-${index}`, fetchedAt: FETCHED_AT + index }),
    );
    const writes = entries.map((each) => cache.write(each));
    await cache.flush();
    expect(JSON.parse(await readFile(cacheFile(), 'utf8'))).toMatchObject({ license_id: 'lic-19' });
    expect(await cache.read()).toEqual(entries[19]);
    await expect(Promise.all(writes)).resolves.toBeDefined();
    expect(await readdir(tempDir())).toEqual([LICENSE_CACHE_FILE]);
    expect(lines).toEqual([]);
  });

  it('resolves a write only once its entry, or a newer one, is on disk', async () => {
    const { log } = captureLogs();
    const cache = new LicenseCache(tempDir(), log);
    const first = cache.write(entry({ licenseId: 'lic-a' }));
    await first;
    expect(await cache.read()).toMatchObject({ licenseId: 'lic-a' });
    const second = cache.write(entry({ licenseId: 'lic-b' }));
    const third = cache.write(entry({ licenseId: 'lic-c' }));
    await second;
    expect(await cache.read()).toMatchObject({ licenseId: 'lic-c' });
    await third;
    expect(await cache.read()).toMatchObject({ licenseId: 'lic-c' });
  });

  it('never rejects a failed write, and warns once while the failure lasts', async () => {
    const dir = path.join(tempDir(), 'state');
    const { log, lines } = captureLogs();
    const cache = new LicenseCache(dir, log);
    // The state directory does not exist: every write fails with ENOENT.
    await expect(cache.write(entry())).resolves.toBeUndefined();
    await expect(cache.write(entry())).resolves.toBeUndefined();
    await cache.flush();
    expect(warnings(lines)).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'cannot write the license cache; a restart will fetch the license again',
        path: path.join(dir, LICENSE_CACHE_FILE),
        code: 'ENOENT',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('eyJ');

    // Once writes succeed again, the next failure is news and is reported.
    await mkdir(dir);
    await cache.write(entry());
    expect(await cache.read()).toEqual(entry());
    expect(warnings(lines)).toHaveLength(1);
    await rm(dir, { recursive: true });
    await cache.write(entry());
    expect(warnings(lines)).toHaveLength(2);
  });

  it('warns again when a failing write fails for a different reason', async () => {
    const dir = path.join(tempDir(), 'state');
    const { log, lines } = captureLogs();
    const cache = new LicenseCache(dir, log);
    await cache.write(entry());
    await writeFile(dir, 'a file where the directory should be');
    await cache.write(entry());
    expect(warnings(lines).map((line) => (line as { code?: string }).code)).toEqual(['ENOENT', 'ENOTDIR']);
  });

  it('reports an entry whose date cannot be stored as a failed write instead of rejecting', async () => {
    const { log, lines } = captureLogs();
    const cache = new LicenseCache(tempDir(), log);
    await expect(cache.write(entry({ fetchedAt: Number.NaN }))).resolves.toBeUndefined();
    expect(warnings(lines)).toHaveLength(1);
    expect(await readdir(tempDir())).toEqual([]);
  });
});
