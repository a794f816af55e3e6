/**
 * The ledger of what left the machine: every body the agent sent to a license endpoint, with its
 * time, destination host and HTTP status, one JSON line each in `<stateDir>/sent.jsonl`, so that an
 * operator can audit it (`softclient4es-license telemetry --sent`). The file is the owner's only
 * (0600) and rotated at 1 MiB to `sent.jsonl.1`. Recording never gets in the way of a refresh:
 * a failing disk costs one warning, never a rejected promise.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { errnoCode } from './errno.js';

/** The file name of the live ledger inside the state directory. */
export const SENT_LEDGER_FILE = 'sent.jsonl';

/** Size at which the live ledger is rotated to `sent.jsonl.1`. */
export const SENT_LEDGER_MAX_BYTES = 1024 * 1024;

/** One request that left the machine. */
export interface SentRecord {
  /** When it was sent, ISO 8601. */
  readonly at: string;
  /** The destination `host[:port]`, never a path or query (a refresh URL may carry anything there). */
  readonly host: string;
  readonly endpoint: 'token' | 'refresh';
  /** The HTTP status of the answer; `null` when there was no answer (refused, timed out). */
  readonly status: number | null;
  /** The exact JSON body sent. Holds no secret: the API key or JWT travels in a header only. */
  readonly body: unknown;
}

/**
 * The `host[:port]` of `url` for {@link SentRecord.host}: no credentials, path, query or fragment.
 *
 * @example
 * ```ts
 * destinationHost('https://license.example.com:8443/v1/refresh?t=1'); // 'license.example.com:8443'
 * ```
 */
export function destinationHost(url: string): string {
  return new URL(url).host;
}

/**
 * Appends {@link SentRecord}s to `<dir>/sent.jsonl` and reads them back.
 *
 * @example
 * ```ts
 * const ledger = new SentLedger(stateDir, log);
 * void ledger.append({ at: new Date().toISOString(), host: 'license.example.com', endpoint: 'refresh', status: 200, body });
 * await ledger.flush();
 * for (const record of await ledger.read()) console.log(record.at, record.host, record.status);
 * ```
 */
export class SentLedger {
  /** The live ledger file. */
  readonly path: string;
  readonly #dir: string;
  readonly #rotatedPath: string;
  readonly #log: Logger;
  // Every append and read runs after the previous one, so lines never interleave and a rotation
  // never happens between the two files a read looks at. Never rejects.
  #queue: Promise<void> = Promise.resolve();
  #warned = false;

  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.path = path.join(dir, SENT_LEDGER_FILE);
    this.#rotatedPath = `${this.path}.1`;
    this.#log = log;
  }

  /** Appends one record. Resolves when it is written, or when writing it failed (logged once). */
  append(record: SentRecord): Promise<void> {
    const written = this.#queue.then(() => this.#write(record));
    this.#queue = written;
    return written;
  }

  /**
   * The records of `sent.jsonl.1` then `sent.jsonl`, oldest first; malformed lines (a line torn
   * by a crash) are skipped, missing files read as empty. Waits for the appends already queued.
   *
   * @throws the fs error when a ledger file exists but cannot be read (EACCES, EISDIR, ...).
   */
  read(): Promise<SentRecord[]> {
    const records = this.#queue.then(async () => [
      ...parseLedger(await readIfExists(this.#rotatedPath)),
      ...parseLedger(await readIfExists(this.path)),
    ]);
    this.#queue = records.then(
      () => undefined,
      () => undefined,
    );
    return records;
  }

  /** Resolves when every append queued so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.#queue;
  }

  async #write(record: SentRecord): Promise<void> {
    try {
      // Inside the try: a body JSON cannot encode (a BigInt, a cycle) must not reject either.
      const line = `${JSON.stringify(record)}\n`;
      let tail = await inspectTail(this.path);
      if (tail.size > 0 && tail.size + Buffer.byteLength(line) > SENT_LEDGER_MAX_BYTES) {
        // rename replaces an older `.1` atomically: there is never a moment without one.
        await rename(this.path, this.#rotatedPath);
        tail = { size: 0, endsWithNewline: true };
      }
      // After a crash mid-append the file can end in a torn line; without a newline first, this
      // record would be glued to it and be lost as malformed too.
      await this.#appendToFile(tail.endsWithNewline ? line : `\n${line}`);
      this.#warned = false;
    } catch (error) {
      if (this.#warned) return;
      this.#warned = true;
      this.#log.warn(
        { path: this.path, code: errnoCode(error) },
        'cannot append to the ledger of sent data; requests are still sent but not recorded until a write succeeds',
      );
    }
  }

  async #appendToFile(text: string): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'a', 0o600);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      handle = await open(this.path, 'a', 0o600);
    }
    try {
      // The mode given to open applies only to a file it creates.
      if (((await handle.stat()).mode & 0o777) !== 0o600) await handle.chmod(0o600);
      await handle.writeFile(text, 'utf8');
    } finally {
      await handle.close();
    }
  }
}

/** The size of `file` and whether it ends with a newline; a missing file is empty. */
async function inspectTail(file: string): Promise<{ size: number; endsWithNewline: boolean }> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { size: 0, endsWithNewline: true };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { size, endsWithNewline: true };
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return { size, endsWithNewline: last[0] === 0x0a };
  } finally {
    await handle.close();
  }
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return '';
    throw error;
  }
}

function parseLedger(text: string): SentRecord[] {
  const records: SentRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isSentRecord(value)) records.push(value);
  }
  return records;
}

function isSentRecord(value: unknown): value is SentRecord {
  if (typeof value !== 'object' || value === null || !('body' in value)) return false;
  const { at, host, endpoint, status } = value as Record<string, unknown>;
  return (
    typeof at === 'string' &&
    typeof host === 'string' &&
    (endpoint === 'token' || endpoint === 'refresh') &&
    (status === null || typeof status === 'number')
  );
}
