/**
 * The instance id: a random UUID that names this installation in telemetry, created on the first
 * start and kept in `<stateDir>/instance-id`. Disk trouble never stops the agent: it then runs
 * with an id that lives in memory for this run only.
 */
import { link } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { randomUUID } from '../random.js';
import { errnoCode } from './errno.js';
import {
  readFileIfExists,
  removeQuietly,
  syncDirectory,
  tempPathFor,
  writeFileAtomic,
  writeNewFileDurably,
} from './atomic-file.js';
import { ensureStateDir } from './state-dir.js';

/** The file name of the instance id inside the state directory. */
export const INSTANCE_ID_FILE = 'instance-id';

/** The instance id, and whether it is stored on disk (false: it lasts for this run only). */
export interface InstanceId {
  readonly id: string;
  readonly persisted: boolean;
}

// Canonical 8-4-4-4-12 form with the RFC 4122 variant; versions 1 to 8, so ids made by RFC 9562
// tools (v6, v7, v8) that an operator may have written by hand are kept too. The nil and max
// UUIDs fail the variant check.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID in canonical form (any version from 1 to 8, either case).
 *
 * @example
 * ```ts
 * isUuid('0b9c1f9e-6a3d-4c1e-9a53-2f5f2a9d7c10'); // true
 * isUuid('not-a-uuid'); // false
 * ```
 */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/**
 * Returns the instance id stored in `dir`, creating it on the first start. Never throws: when the
 * directory cannot be read or written, logs one warning and returns an in-memory id.
 *
 * Two processes starting at once on an empty directory get the same id: each writes its candidate
 * to a temp file and hard-links it to the final name, which only one link can win; both then read
 * back the winner. The final file is never seen half-written.
 *
 * @example
 * ```ts
 * const { id, persisted } = await loadInstanceId(stateDir, log);
 * ```
 */
export async function loadInstanceId(dir: string, log: Logger): Promise<InstanceId> {
  const file = path.join(dir, INSTANCE_ID_FILE);
  try {
    const stored = await readFileIfExists(file);
    if (stored === undefined) return { id: await createExclusively(dir, file, log), persisted: true };
    const id = stored.trim();
    if (isUuid(id)) return { id, persisted: true };
    return { id: await replaceMalformed(file, log), persisted: true };
  } catch (error) {
    log.warn(
      { path: file, code: errnoCode(error) },
      'cannot read or write the instance id; using an in-memory id for this run',
    );
    return { id: randomUUID(), persisted: false };
  }
}

async function createExclusively(dir: string, file: string, log: Logger): Promise<string> {
  await ensureStateDir(dir);
  const temp = tempPathFor(file);
  try {
    await writeNewFileDurably(temp, `${randomUUID()}\n`);
    await link(temp, file);
    await syncDirectory(dir);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    log.debug({ path: file }, 'another process created the instance id first; using its id');
  } finally {
    await removeQuietly(temp);
  }
  // Read back rather than trust our candidate: when another process won the link, its id is the one.
  const stored = ((await readFileIfExists(file)) ?? '').trim();
  if (isUuid(stored)) return stored;
  // Only reachable if someone wrote garbage between our link and this read.
  return replaceMalformed(file, log);
}

async function replaceMalformed(file: string, log: Logger): Promise<string> {
  const id = randomUUID();
  // Write first, warn after: if the write fails, the caller's single warning says why instead.
  await writeFileAtomic(file, `${id}\n`);
  log.warn({ path: file }, 'instance id file is malformed; replaced it with a new id');
  return id;
}
