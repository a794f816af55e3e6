import { spawnSync } from 'node:child_process';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LicenseStateDirError } from '../../src/errors.js';
import { ensureStateDir, resolveStateDir } from '../../src/state/state-dir.js';
import { useTempDir } from './helpers.js';

const noHome = (): string => {
  throw Object.assign(new Error('uv_os_homedir returned ENOENT'), { code: 'ERR_SYSTEM_ERROR' });
};

describe('resolveStateDir', () => {
  it('uses the stateDir option over SOFTCLIENT4ES_HOME and the home directory', async () => {
    const dir = await resolveStateDir({
      stateDir: '/srv/state',
      env: { SOFTCLIENT4ES_HOME: '/from/env' },
      homedir: () => '/home/alice',
    });
    expect(dir).toBe(path.resolve('/srv/state'));
  });

  it('makes a relative stateDir absolute against the working directory', async () => {
    expect(await resolveStateDir({ stateDir: 'state', env: {} })).toBe(path.join(process.cwd(), 'state'));
  });

  it('uses SOFTCLIENT4ES_HOME over the home directory when no stateDir is given', async () => {
    const dir = await resolveStateDir({ env: { SOFTCLIENT4ES_HOME: '/from/env' }, homedir: () => '/home/alice' });
    expect(dir).toBe(path.resolve('/from/env'));
  });

  it('ignores an empty SOFTCLIENT4ES_HOME and an empty stateDir', async () => {
    const dir = await resolveStateDir({ stateDir: '', env: { SOFTCLIENT4ES_HOME: '' }, homedir: () => '/home/alice' });
    expect(dir).toBe(path.resolve('/home/alice/.softclient4es'));
  });

  it('uses ~/.softclient4es of the real home directory by default', async () => {
    expect(await resolveStateDir({ env: {} })).toBe(path.join(os.homedir(), '.softclient4es'));
  });

  it('falls back to the env-paths data directory when the home directory cannot be found', async () => {
    const expected = path.resolve(envPaths('softclient4es', { suffix: '' }).data);
    expect(await resolveStateDir({ env: {}, homedir: noHome })).toBe(expected);
    expect(await resolveStateDir({ env: {}, homedir: () => '' })).toBe(expected);
    expect(expected).toMatch(/softclient4es$/);
  });

  describe('when env-paths cannot load because the process has no home directory', () => {
    afterEach(() => {
      vi.doUnmock('env-paths');
      vi.resetModules();
    });

    async function loadWithoutEnvPaths(): Promise<typeof import('../../src/state/state-dir.js')> {
      vi.resetModules();
      vi.doMock('env-paths', () => {
        throw new Error('uv_os_homedir returned ENOENT');
      });
      return import('../../src/state/state-dir.js');
    }

    it('still loads, and honours SOFTCLIENT4ES_HOME', async () => {
      const module = await loadWithoutEnvPaths();
      expect(await module.resolveStateDir({ env: { SOFTCLIENT4ES_HOME: '/from/env' }, homedir: noHome })).toBe(
        path.resolve('/from/env'),
      );
    });

    // Root can run the child as a uid with no passwd entry and no HOME, where os.homedir() throws:
    // the situation of a container started with `--user 12345`.
    const fixture = path.join(import.meta.dirname, 'fixtures', 'print-state-dir.ts');
    const canRunHomeless = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

    function runHomeless(env: Record<string, string>): unknown {
      const { HOME: _home, SOFTCLIENT4ES_HOME: _stateHome, ...inherited } = process.env;
      const child = spawnSync(
        'setpriv',
        ['--reuid=54321', '--regid=54321', '--clear-groups', process.execPath, '--import', 'tsx', fixture],
        { env: { ...inherited, ...env }, encoding: 'utf8', timeout: 15_000 },
      );
      expect(child.stderr).toBe('');
      return JSON.parse(child.stdout);
    }

    it.runIf(canRunHomeless)('loads in a real process without a home directory', () => {
      expect(runHomeless({ SOFTCLIENT4ES_HOME: '/from/env' })).toEqual({ dir: '/from/env' });
      expect(runHomeless({})).toEqual({ code: 'ERR_LICENSE_STATE_DIR' });
    });

    it('throws a state dir error that says how to choose a directory', async () => {
      const module = await loadWithoutEnvPaths();
      await expect(module.resolveStateDir({ env: {}, homedir: noHome })).rejects.toThrow(
        expect.objectContaining({
          code: 'ERR_LICENSE_STATE_DIR',
          message: expect.stringContaining('SOFTCLIENT4ES_HOME'),
        }),
      );
    });
  });
});

describe('ensureStateDir', () => {
  const tempDir = useTempDir();

  it('creates the directory and its parents readable by the owner only', async () => {
    const dir = path.join(tempDir(), 'a', 'b', 'state');
    await ensureStateDir(dir);
    const info = await stat(dir);
    expect(info.isDirectory()).toBe(true);
    expect(info.mode & 0o777).toBe(0o700);
  });

  it('accepts an existing directory and leaves its mode alone', async () => {
    const dir = path.join(tempDir(), 'state');
    await mkdir(dir);
    await chmod(dir, 0o755);
    await ensureStateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  it('fails with the path and the error code when the path is a file', async () => {
    const file = path.join(tempDir(), 'state');
    await writeFile(file, 'not a directory');
    const error = await ensureStateDir(file).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(LicenseStateDirError);
    expect(error).toMatchObject({ code: 'ERR_LICENSE_STATE_DIR', path: file });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('not a directory (EEXIST)');
  });

  it('fails with the path and ENOTDIR when a parent is a file', async () => {
    const parent = path.join(tempDir(), 'file');
    await writeFile(parent, '');
    const dir = path.join(parent, 'state');
    const error = await ensureStateDir(dir).then(() => undefined, (caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_LICENSE_STATE_DIR', path: dir });
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toContain('ENOTDIR');
  });
});
