/**
 * What several suites set up the same way: temporary state directories, a silent logger, and the
 * license cache file an earlier run of the agent would have left (its documented format).
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export const VERSION = '1.2.3';
export const API_KEY = 'sk-bench-api-key';
export const DAY = 86_400_000;
/** The simulated start of the simulated-time suites: a fixed instant, so runs are reproducible. */
export const T0 = Date.UTC(2030, 0, 1);

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Temporary dirs not removed yet: a suite that fails half-way must not leave them behind. */
const leftovers = new Set<string>();
process.on('exit', () => {
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix: string, base = os.tmpdir()): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(base, `softclient4es-bench-${prefix}-`));
  leftovers.add(dir);
  return {
    dir,
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
  };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Writes the license cache as the agent writes it: with an API key, the JWT alone to
 * `<dir>/license-cache.jwt` and its record to `<dir>/license-state.json`; without one (a static-JWT
 * refresh), the record with the JWT in `license-state.json` only.
 */
export async function writeLicenseCache(
  dir: string,
  entry: { jwt: string; licenseId: string; fetchedAt: number; apiKey?: string },
): Promise<void> {
  const fetchedAt = new Date(entry.fetchedAt).toISOString();
  const state = entry.apiKey === undefined
    ? { format: 1, static_jwt: { license_id: entry.licenseId, jwt: entry.jwt, fetched_at: fetchedAt } }
    : { format: 1, api_key: { jwt_sha256: sha256Hex(entry.jwt), license_id: entry.licenseId, fetched_at: fetchedAt, key_fingerprint: sha256Hex(entry.apiKey) } };
  if (entry.apiKey !== undefined) await writeFile(path.join(dir, 'license-cache.jwt'), entry.jwt, { mode: 0o600 });
  await writeFile(path.join(dir, 'license-state.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
