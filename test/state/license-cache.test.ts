import { mkdir, readdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fingerprintApiKey,
  LEGACY_LICENSE_CACHE_FILE,
  LICENSE_CACHE_FILE,
  LICENSE_STATE_FILE,
  LicenseCache,
  type CachedLicense,
} from '../../src/state/license-cache.js';
import { sha256Hex } from '../../src/random.js';
import { captureLogs, type LogLine, WARN } from '../support/logs.js';
import { useTempDir } from './helpers.js';

/** A compact JWT with this payload: not signed by anyone, which the cache never checks. */
function fakeJwt(payload: Record<string, unknown>, signature = 'c2lnbmF0dXJlLW9mLXRoZS1saWNlbnNl'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA', kid: 'softclient4es-test' })}.${part(payload)}.${signature}`;
}

const JWT = fakeJwt({ sub: 'lic-1', tier: 'pro' });
const OTHER_JWT = fakeJwt({ sub: 'org-acme-123', tier: 'enterprise' }, 'b3RoZXItc2lnbmF0dXJl');
const FETCHED_AT = Date.UTC(2025, 0, 15, 10, 30, 0, 123);
const KEY_FINGERPRINT = await fingerprintApiKey('sk-live-secret');

function entry(overrides: Partial<CachedLicense> = {}): CachedLicense {
  return { jwt: JWT, fetchedAt: FETCHED_AT, keyFingerprint: KEY_FINGERPRINT, licenseId: 'lic-1', ...overrides };
}

const warnings = (lines: readonly LogLine[]) => lines.filter((line) => line.level >= WARN);

describe('fingerprintApiKey', () => {
  it('is the SHA-256 of the key in hex, and not the key', async () => {
    const fingerprint = await fingerprintApiKey('sk-live-secret');
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).not.toContain('sk-live-secret');
    // SHA-256("abc"), the FIPS 180-2 test vector.
    expect(await fingerprintApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await fingerprintApiKey('sk-live-other')).not.toBe(fingerprint);
  });
});

describe('LicenseCache', () => {
  const tempDir = useTempDir();
  const cacheFile = (): string => path.join(tempDir(), LICENSE_CACHE_FILE);
  const stateFile = (): string => path.join(tempDir(), LICENSE_STATE_FILE);
  const legacyFile = (): string => path.join(tempDir(), LEGACY_LICENSE_CACHE_FILE);
  const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as Record<string, unknown>;

  // Every line any test logs is checked: a JWT never reaches a log, whatever went wrong.
  const logged: LogLine[][] = [];
  const logs = () => {
    const capture = captureLogs();
    logged.push(capture.lines);
    return capture;
  };
  afterEach(() => {
    const text = JSON.stringify(logged.splice(0));
    for (const jwt of [JWT, OTHER_JWT]) {
      for (const part of jwt.split('.')) expect(text).not.toContain(part);
    }
  });

  describe('the file layout', () => {
    it('names the files as SoftClient4ES and the agent know them', () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      expect(cache.path).toBe(cacheFile());
      expect(path.basename(cache.path)).toBe('license-cache.jwt');
      expect(path.basename(cache.statePath)).toBe('license-state.json');
      expect(path.basename(cache.legacyPath)).toBe('license-cache.json');
    });

    it('writes the JWT fetched with an API key alone to license-cache.jwt, readable by the owner only', async () => {
      await new LicenseCache(tempDir(), logs().logger).write(entry());
      expect(await readFile(cacheFile(), 'utf8')).toBe(JWT);
      expect((await stat(cacheFile())).mode & 0o777).toBe(0o600);
      expect((await readdir(tempDir())).sort()).toEqual([LICENSE_CACHE_FILE, LICENSE_STATE_FILE]);
    });

    it('keeps the key, the time and the license id in license-state.json, tied to the JWT by its SHA-256', async () => {
      await new LicenseCache(tempDir(), logs().logger).write(entry());
      const text = await readFile(stateFile(), 'utf8');
      expect(JSON.parse(text)).toEqual({
        format: 1,
        api_key: {
          jwt_sha256: await sha256Hex(JWT),
          license_id: 'lic-1',
          fetched_at: '2025-01-15T10:30:00.123Z',
          key_fingerprint: KEY_FINGERPRINT,
        },
      });
      expect(text).not.toContain(JWT);
      expect(text).not.toContain('sk-live-secret');
      expect((await stat(stateFile())).mode & 0o777).toBe(0o600);
    });

    it('never writes a static JWT to license-cache.jwt, and keeps it in license-state.json', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.write(entry({ keyFingerprint: null }));
      expect(await readdir(tempDir())).toEqual([LICENSE_STATE_FILE]);
      expect((await readState())['static_jwt']).toEqual({ license_id: 'lic-1', jwt: JWT, fetched_at: '2025-01-15T10:30:00.123Z' });

      // With a JWT fetched with a key on record, a static refresh leaves the shared file as it was.
      await cache.write(entry({ jwt: OTHER_JWT, licenseId: 'org-acme-123' }));
      await cache.write(entry({ keyFingerprint: null, fetchedAt: FETCHED_AT + 1 }));
      expect(await readFile(cacheFile(), 'utf8')).toBe(OTHER_JWT);
      expect(await readState()).toMatchObject({ api_key: { license_id: 'org-acme-123' }, static_jwt: { jwt: JWT } });
    });
  });

  describe('reading', () => {
    it('reads back what it wrote, with and without an API key', async () => {
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      await cache.write(entry());
      expect(await new LicenseCache(tempDir(), log).read()).toEqual(entry());
      await cache.write(entry({ keyFingerprint: null, licenseId: 'lic-2', fetchedAt: FETCHED_AT + 1 }));
      expect(await cache.read()).toEqual(entry({ keyFingerprint: null, licenseId: 'lic-2', fetchedAt: FETCHED_AT + 1 }));
      expect(lines).toEqual([]);
    });

    it('returns the newer of the fetched and the static entry, and both on request', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      const fetched = entry({ jwt: OTHER_JWT, licenseId: 'org-acme-123', fetchedAt: FETCHED_AT + 10 });
      const staticJwt = entry({ keyFingerprint: null });
      await cache.write(fetched);
      await cache.write(staticJwt);
      expect(await cache.read()).toEqual(fetched);
      expect(await cache.readEntries()).toEqual({ fetched, staticJwt });
      const later = { ...staticJwt, fetchedAt: FETCHED_AT + 20 };
      await cache.write(later);
      expect(await cache.read()).toEqual(later);
    });

    it('returns undefined without logging when there is no cache yet', async () => {
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(await new LicenseCache(path.join(tempDir(), 'missing-dir'), log).read()).toBeUndefined();
      expect(lines).toEqual([]);
    });

    it.each([['an empty file', ''], ['a blank file', '  \n']])('takes %s for no cache, without a warning', async (_name, content) => {
      await writeFile(cacheFile(), content);
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(lines).toEqual([]);
    });

    it('reads a license-cache.jwt written by SoftClient4ES: the JWT trimmed, its sub, the file time, an unknown key', async () => {
      await writeFile(cacheFile(), `${OTHER_JWT}\n`);
      const written = new Date(Date.UTC(2026, 2, 1, 8, 0, 0));
      await utimes(cacheFile(), written, written);
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toEqual({
        jwt: OTHER_JWT,
        fetchedAt: written.getTime(),
        keyFingerprint: null,
        licenseId: 'org-acme-123',
      });
      expect(lines).toEqual([]);
    });

    it('does not apply the state of one JWT to another that SoftClient4ES wrote over it', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.write(entry());
      await writeFile(cacheFile(), OTHER_JWT);
      const cached = await cache.read();
      expect(cached).toMatchObject({ jwt: OTHER_JWT, keyFingerprint: null, licenseId: 'org-acme-123' });
      expect(cached?.fetchedAt).not.toBe(FETCHED_AT);
      expect(cached?.fetchedAt).toBe(Math.floor((await stat(cacheFile())).mtimeMs));
    });

    it('ignores a symbolic link with one warning, even to a valid JWT', async () => {
      const target = path.join(tempDir(), 'elsewhere.jwt');
      await writeFile(target, JWT);
      await symlink(target, cacheFile());
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      expect(await cache.read()).toBeUndefined();
      expect(await cache.read()).toBeUndefined();
      expect(lines).toEqual([
        expect.objectContaining({ level: WARN, msg: 'license cache is unreadable; ignoring it', path: cacheFile(), reason: 'it is a symbolic link' }),
      ]);
    });

    it('ignores a file over 64 KiB with one warning', async () => {
      await writeFile(cacheFile(), JWT.padEnd(65 * 1024, ' '));
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      expect(await cache.read()).toBeUndefined();
      expect(await cache.read()).toBeUndefined();
      expect(lines).toEqual([
        expect.objectContaining({ level: WARN, path: cacheFile(), reason: 'it is larger than 65536 bytes (66560 bytes)' }),
      ]);
    });

    it('reads a file of exactly 64 KiB', async () => {
      await writeFile(cacheFile(), JWT.padEnd(64 * 1024, '\n'));
      expect(await new LicenseCache(tempDir(), logs().logger).read()).toMatchObject({ jwt: JWT });
    });

    it('judges a huge file by its size, without reading it', async () => {
      // 3 GiB, sparse: reading it whole would fail with ERR_FS_FILE_TOO_LARGE, not with this reason.
      await writeFile(cacheFile(), JWT);
      await truncate(cacheFile(), 3 * 1024 ** 3);
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(lines).toEqual([expect.objectContaining({ reason: `it is larger than 65536 bytes (${3 * 1024 ** 3} bytes)` })]);
    });

    it.each([
      ['text that is not a JWT', 'not a token at all'],
      ['a JWT without a sub', fakeJwt({ tier: 'pro' })],
      ['a JWT whose payload is not JSON', `eyJhbGciOiJFZERTQSJ9.${Buffer.from('{oops').toString('base64url')}.c2ln`],
    ])('ignores %s with one warning that does not reveal the content', async (_name, content) => {
      await writeFile(cacheFile(), content);
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(lines).toEqual([expect.objectContaining({ level: WARN, path: cacheFile(), reason: 'it is not a license JWT' })]);
      expect(JSON.stringify(lines)).not.toContain(content);
    });

    it('ignores a directory where the cache should be, with one warning', async () => {
      await mkdir(cacheFile());
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(lines).toEqual([expect.objectContaining({ level: WARN, path: cacheFile(), reason: 'it is not a regular file' })]);
    });

    it.each([
      ['not JSON', '{"format": 1, "api_key": '],
      ['an unknown format', JSON.stringify({ format: 2 })],
      ['JSON null', 'null'],
    ])('reads the JWT with an unknown key when the state file is %s, with one warning', async (_name, content) => {
      await writeFile(cacheFile(), JWT);
      await writeFile(stateFile(), content);
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      expect(await cache.read()).toMatchObject({ jwt: JWT, keyFingerprint: null });
      await cache.read();
      expect(lines).toEqual([
        expect.objectContaining({ level: WARN, msg: 'license cache state file is unreadable; ignoring it', path: stateFile(), reason: 'unexpected content or format' }),
      ]);
    });

    it('drops only the damaged part of the state file', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.write(entry());
      const state = await readState();
      await writeFile(stateFile(), JSON.stringify({ ...state, static_jwt: { jwt: 7 } }));
      expect(await cache.readEntries()).toEqual({ fetched: entry() });
    });
  });

  describe('migrating the license-cache.json of earlier versions', () => {
    const legacy = (overrides: Record<string, unknown> = {}) =>
      JSON.stringify({ format: 1, license_id: 'lic-1', jwt: JWT, fetched_at: '2025-01-15T10:30:00.123Z', key_fingerprint: KEY_FINGERPRINT, ...overrides }, null, 2);

    it('moves a JWT fetched with an API key to license-cache.jwt and its record to license-state.json, then removes the old file', async () => {
      await writeFile(legacyFile(), legacy());
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      expect(await cache.read()).toEqual(entry());
      expect((await readdir(tempDir())).sort()).toEqual([LICENSE_CACHE_FILE, LICENSE_STATE_FILE]);
      expect(await readFile(cacheFile(), 'utf8')).toBe(JWT);
      expect(await new LicenseCache(tempDir(), log).read()).toEqual(entry());
      expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'moved the license cache of an earlier version to the new files', path: legacyFile() })]);
    });

    it('moves a static JWT to license-state.json only', async () => {
      await writeFile(legacyFile(), legacy({ key_fingerprint: null }));
      const cache = new LicenseCache(tempDir(), logs().logger);
      expect(await cache.read()).toEqual(entry({ keyFingerprint: null }));
      expect(await readdir(tempDir())).toEqual([LICENSE_STATE_FILE]);
    });

    it('leaves a license-cache.jwt that is already there, the newer file', async () => {
      await writeFile(cacheFile(), OTHER_JWT);
      await writeFile(legacyFile(), legacy());
      const cached = await new LicenseCache(tempDir(), logs().logger).read();
      expect(cached).toMatchObject({ jwt: OTHER_JWT, keyFingerprint: null });
      expect(await readdir(tempDir())).toEqual([LICENSE_CACHE_FILE]);
    });

    it('removes an old file it cannot use, with one warning', async () => {
      await writeFile(legacyFile(), legacy({ format: 7 }));
      const { logger: log, lines } = logs();
      expect(await new LicenseCache(tempDir(), log).read()).toBeUndefined();
      expect(await readdir(tempDir())).toEqual([]);
      expect(warnings(lines)).toEqual([expect.objectContaining({ msg: 'removed an unusable license cache of an earlier version', path: legacyFile() })]);
    });

    it('keeps serving an old file it cannot move, and keeps it', async () => {
      await writeFile(legacyFile(), legacy({ key_fingerprint: null }));
      // A directory where license-state.json goes: the move cannot be written.
      await mkdir(stateFile());
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      expect(await cache.read()).toEqual(entry({ keyFingerprint: null }));
      expect(await cache.read()).toEqual(entry({ keyFingerprint: null }));
      expect(await readFile(legacyFile(), 'utf8')).toBe(legacy({ key_fingerprint: null }));
      expect(warnings(lines).filter((line) => line.path === legacyFile())).toHaveLength(1);
    });
  });

  describe('writing', () => {
    it('keeps the last of many writes fired without waiting', async () => {
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      const entries = Array.from({ length: 20 }, (_, index) => entry({ licenseId: `lic-${index}`, fetchedAt: FETCHED_AT + index }));
      const writes = entries.map((each) => cache.write(each));
      await cache.flush();
      expect(await readState()).toMatchObject({ api_key: { license_id: 'lic-19' } });
      expect(await cache.read()).toEqual({ ...entries[19], licenseId: 'lic-1' });
      await expect(Promise.all(writes)).resolves.toBeDefined();
      expect((await readdir(tempDir())).sort()).toEqual([LICENSE_CACHE_FILE, LICENSE_STATE_FILE]);
      expect(lines).toEqual([]);
    });

    it('resolves a write only once its entry, or a newer one, is on disk', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.write(entry({ fetchedAt: 1 }));
      expect(await cache.read()).toMatchObject({ fetchedAt: 1 });
      const second = cache.write(entry({ fetchedAt: 2 }));
      const third = cache.write(entry({ fetchedAt: 3 }));
      await second;
      expect(await cache.read()).toMatchObject({ fetchedAt: 3 });
      await third;
      expect(await cache.read()).toMatchObject({ fetchedAt: 3 });
    });

    it('never rejects a failed write, and warns once while the failure lasts', async () => {
      const dir = path.join(tempDir(), 'state');
      const { logger: log, lines } = logs();
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
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(dir, log);
      await cache.write(entry());
      await writeFile(dir, 'a file where the directory should be');
      await cache.write(entry());
      expect(warnings(lines).map((line) => line['code'])).toEqual(['ENOENT', 'ENOTDIR']);
    });

    it('reports an entry whose date cannot be stored as a failed write, and changes no file', async () => {
      const { logger: log, lines } = logs();
      const cache = new LicenseCache(tempDir(), log);
      await expect(cache.write(entry({ fetchedAt: Number.NaN }))).resolves.toBeUndefined();
      await expect(cache.write(entry({ fetchedAt: Number.NaN, keyFingerprint: null }))).resolves.toBeUndefined();
      expect(warnings(lines)).toHaveLength(1);
      expect(await readdir(tempDir())).toEqual([]);
    });
  });

  describe('discarding', () => {
    it('deletes the entry the last read returned, as SoftClient4ES deletes a cached JWT that does not verify', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      const staticJwt = entry({ jwt: OTHER_JWT, licenseId: 'org-acme-123', keyFingerprint: null, fetchedAt: FETCHED_AT - 1 });
      await cache.write(staticJwt);
      await cache.write(entry());
      expect(await cache.read()).toEqual(entry());
      await cache.discard();
      expect(await readdir(tempDir())).toEqual([LICENSE_STATE_FILE]);
      expect(await cache.read()).toEqual(staticJwt);
      await cache.discard();
      expect(await readdir(tempDir())).toEqual([]);
    });

    it('deletes a license-cache.jwt written by SoftClient4ES', async () => {
      await writeFile(cacheFile(), `${OTHER_JWT}\n`);
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.read();
      await cache.discard();
      expect(await readdir(tempDir())).toEqual([]);
    });

    it('leaves a license-cache.jwt that another program has rewritten since the read', async () => {
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.write(entry());
      await cache.read();
      await writeFile(cacheFile(), OTHER_JWT);
      await cache.discard();
      expect(await readFile(cacheFile(), 'utf8')).toBe(OTHER_JWT);
    });

    it('never deletes a symbolic link or what it points to', async () => {
      const target = path.join(tempDir(), 'elsewhere.jwt');
      await writeFile(target, JWT);
      await symlink(target, cacheFile());
      const cache = new LicenseCache(tempDir(), logs().logger);
      await cache.discard();
      expect((await readdir(tempDir())).sort()).toEqual(['elsewhere.jwt', LICENSE_CACHE_FILE]);
    });
  });
});
