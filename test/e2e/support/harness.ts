/**
 * The end-to-end harness: real reference license servers on 127.0.0.1, real temp state
 * directories, real agents with captured pino logs. Everything a test starts is registered here and
 * torn down in `afterEach` (agents first, then servers, then directories), so a test never hangs
 * and never leaks a timer or a socket into the next one.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createLicenseAgent, type LicenseAgent, type LicenseAgentOptions } from '../../../src/index.js';
import { REFRESH_ORIGINS_VARIABLE, VENDOR_ORIGIN } from '../../../src/config/refresh-origins.js';
import { decodeLicenseClaims, startLicenseServer, type LicenseServer, type LicenseServerOptions, type RecordedRequest } from '../../../src/issuer/index.js';
import { captureLogs, type LogCapture } from '../../support/logs.js';

export const VERSION = '1.2.3';
export const HOUR = 3_600_000;
/** The shared license cache, as SoftClient4ES names it: the last JWT fetched with an API key, alone. */
export const CACHE_FILE = 'license-cache.jwt';
/** The agent's own record beside it: which key fetched that JWT and when, and static-JWT mode's refresh. */
export const STATE_FILE = 'license-state.json';
/** The cache file of versions 0.1.x, migrated when found. */
export const LEGACY_CACHE_FILE = 'license-cache.json';
export const INSTANCE_ID_FILE = 'instance-id';
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` every 10 ms until it is truthy and returns its value; rejects after `timeoutMs`
 * with `what` in the message.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, timeoutMs: number, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until `server` has recorded at least `count` requests. */
export async function waitForRequests(server: { requests: readonly unknown[] }, count: number, timeoutMs: number): Promise<void> {
  await waitFor(() => server.requests.length >= count, timeoutMs, `${count} request(s)`);
}

/** The credentials of the request's `Authorization: <scheme> <credentials>` header. */
export function credentials(request: { headers: IncomingHttpHeaders }, scheme: string): string | undefined {
  const header = request.headers.authorization ?? '';
  return header.startsWith(`${scheme} `) ? header.slice(scheme.length + 1) : undefined;
}

/** The request body as a JSON object. */
export function bodyOf(request: RecordedRequest): Record<string, unknown> {
  return request.body as Record<string, unknown>;
}

/** Differences between successive timestamps. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The cached license as the agent reads it from `license-cache.jwt` and `license-state.json`: the
 * newer of the fetched and the static-JWT entry, in the snake_case of the state file. Read here
 * independently of the agent's code, from the documented layout.
 */
export interface CacheFile {
  readonly license_id: string;
  readonly jwt: string;
  readonly fetched_at: string;
  /** `null` for a static-JWT refresh, or a `license-cache.jwt` the state file does not describe. */
  readonly key_fingerprint: string | null;
}

/** `license-state.json` as stored. */
export interface StateFile {
  readonly format: number;
  readonly api_key?: { jwt_sha256: string; license_id: string; fetched_at: string; key_fingerprint: string };
  readonly static_jwt?: { jwt: string; license_id: string; fetched_at: string };
}

async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The text of `license-cache.jwt` (the JWT alone), or `undefined` while there is none. */
export function readCacheText(dir: string): Promise<string | undefined> {
  return readTextIfExists(path.join(dir, CACHE_FILE));
}

/** The text of `license-state.json`, or `undefined` while there is none. */
export function readStateText(dir: string): Promise<string | undefined> {
  return readTextIfExists(path.join(dir, STATE_FILE));
}

/** Both cache files as text, to tell whether anything in them changed. */
export async function snapshotCache(dir: string): Promise<{ cache: string | undefined; state: string | undefined }> {
  return { cache: await readCacheText(dir), state: await readStateText(dir) };
}

export async function readState(dir: string): Promise<StateFile | undefined> {
  const text = await readStateText(dir);
  return text === undefined ? undefined : (JSON.parse(text) as StateFile);
}

/** The `sub` of a JWT, unverified; `''` for a file that is not a JWT (a test planted it). */
function subjectOf(jwt: string): string {
  try {
    return String(decodeLicenseClaims(jwt).sub);
  } catch {
    return '';
  }
}

export async function readCache(dir: string): Promise<CacheFile | undefined> {
  const jwt = (await readCacheText(dir))?.trim();
  // Damaged on purpose by some tests: the agent ignores such a state file, and so does this view.
  const state = await readState(dir).catch(() => undefined);
  const entries: CacheFile[] = [];
  if (jwt) {
    const record = state?.api_key;
    const bound = record !== undefined && record.jwt_sha256 === sha256Hex(jwt);
    const fetchedAt = bound ? record.fetched_at : new Date(Math.floor((await stat(path.join(dir, CACHE_FILE))).mtimeMs)).toISOString();
    entries.push({ license_id: subjectOf(jwt), jwt, fetched_at: fetchedAt, key_fingerprint: bound ? record.key_fingerprint : null });
  }
  if (state?.static_jwt) entries.push({ ...state.static_jwt, key_fingerprint: null });
  return entries.reduce<CacheFile | undefined>((best, each) => (best && Date.parse(best.fetched_at) >= Date.parse(each.fetched_at) ? best : each), undefined);
}

/**
 * Writes the license cache as an earlier run of the agent would have: with an API key, the JWT to
 * `license-cache.jwt` and its record to `license-state.json`; without, a static-JWT refresh in
 * `license-state.json` only (kept beside what is there).
 */
export async function writeCache(dir: string, entry: { jwt: string; fetchedAt: number; apiKey?: string }): Promise<void> {
  const previous = await readState(dir).catch(() => undefined);
  const license_id = String(decodeLicenseClaims(entry.jwt).sub);
  const fetched_at = new Date(entry.fetchedAt).toISOString();
  const state: StateFile = entry.apiKey === undefined
    ? { ...previous, format: 1, static_jwt: { license_id, jwt: entry.jwt, fetched_at } }
    : { ...previous, format: 1, api_key: { jwt_sha256: sha256Hex(entry.jwt), license_id, fetched_at, key_fingerprint: sha256Hex(entry.apiKey) } };
  if (entry.apiKey !== undefined) await writeFile(path.join(dir, CACHE_FILE), entry.jwt, { mode: 0o600 });
  await writeFile(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Writes `license-cache.jwt` as SoftClient4ES does: the JWT alone, and no state file of ours. */
export async function writeSoftClientCache(dir: string, jwt: string): Promise<void> {
  await writeFile(path.join(dir, CACHE_FILE), jwt, { mode: 0o600 });
}

/** Writes the `license-cache.json` of versions 0.1.x (format 1), as the migration finds it. */
export async function writeLegacyCache(dir: string, entry: { jwt: string; fetchedAt: number; apiKey?: string }): Promise<void> {
  const file = {
    format: 1,
    license_id: String(decodeLicenseClaims(entry.jwt).sub),
    jwt: entry.jwt,
    fetched_at: new Date(entry.fetchedAt).toISOString(),
    key_fingerprint: entry.apiKey === undefined ? null : sha256Hex(entry.apiKey),
  };
  await writeFile(path.join(dir, LEGACY_CACHE_FILE), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

/** The current time in whole epoch seconds, as JWT claims count it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A request a {@link StallingServer} received and will never answer. */
export interface StalledRequest {
  readonly receivedAt: number;
  readonly headers: IncomingHttpHeaders;
  /** Set when the client gave up on the request (timeout, abort) and the socket closed. */
  closedAt: number | undefined;
}

/** A `node:http` server that reads each request and never answers it: a hung license server. */
export interface StallingServer {
  readonly url: string;
  readonly requests: StalledRequest[];
  close(): Promise<void>;
}

export async function startStallingServer(): Promise<StallingServer> {
  const requests: StalledRequest[] = [];
  const server: Server = createServer((request) => {
    const stalled: StalledRequest = { receivedAt: Date.now(), headers: request.headers, closedAt: undefined };
    requests.push(stalled);
    request.resume();
    request.socket.once('close', () => void (stalled.closedAt = Date.now()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** A loopback port with nothing listening on it (connections to it are refused). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface E2E {
  /** The log capture of the current test; agents created with {@link E2E.agent} log into it. */
  readonly logs: LogCapture;
  /** Starts a reference license server on 127.0.0.1, closed after the test. */
  server(options?: LicenseServerOptions): Promise<LicenseServer>;
  /** Starts a server that never answers, closed after the test. */
  stallingServer(): Promise<StallingServer>;
  /** A fresh temp state directory, removed after the test. */
  tempDir(): Promise<string>;
  /**
   * Creates an agent (stopped after the test) with `version`, `env: {}` and the captured logger
   * unless the options say otherwise, trusting the refresh origins of every server the test started
   * (as an operator lists a private license server in `refreshOrigins`) unless the options or the
   * environment name their own.
   */
  agent(options: Partial<LicenseAgentOptions>): LicenseAgent;
}

/** The origin of a configured `serverUrl`, if it has one (a test of a bad URL leaves it to the agent to refuse). */
function originOf(url: string | undefined): string[] {
  try {
    return url === undefined ? [] : [new URL(url).origin];
  } catch {
    return [];
  }
}

/** Registers the hooks of an end-to-end test file and returns its helpers. */
export function useE2E(): E2E {
  const agents: LicenseAgent[] = [];
  const closers: Array<() => Promise<void>> = [];
  const dirs: string[] = [];
  /** The origins of the license servers the current test started. */
  const origins: string[] = [];
  let logs: LogCapture | undefined;

  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(async () => {
    await Promise.allSettled(agents.splice(0).map((agent) => agent.stop()));
    await Promise.allSettled(closers.splice(0).map((close) => close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    logs = undefined;
    origins.length = 0;
  });

  const current = (): LogCapture => {
    if (!logs) throw new Error('e2e helpers used outside a test');
    return logs;
  };

  return {
    get logs() {
      return current();
    },
    async server(options = {}) {
      const server = await startLicenseServer(options);
      closers.push(() => server.close());
      origins.push(server.url);
      return server;
    },
    async stallingServer() {
      const server = await startStallingServer();
      closers.push(() => server.close());
      origins.push(server.url);
      return server;
    },
    async tempDir() {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-e2e-'));
      dirs.push(dir);
      return dir;
    },
    agent(options) {
      const named = options.refreshOrigins !== undefined || options.env?.[REFRESH_ORIGINS_VARIABLE] !== undefined;
      const trusted = named ? {} : { refreshOrigins: [...origins, ...originOf(options.serverUrl), VENDOR_ORIGIN] };
      const agent = createLicenseAgent({ version: VERSION, env: {}, logger: current().logger, ...trusted, ...options });
      agents.push(agent);
      return agent;
    },
  };
}
