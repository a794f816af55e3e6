/**
 * The agent's options: their defaults, their environment forms (`loadConfig(env)`), and their
 * validation into a frozen config. Validation is eager: bad configuration throws at once, with an
 * error naming the option, rather than surfacing hours later at the first refresh.
 */
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { parseDuration } from './duration.js';
import { LicenseConfigError } from './errors.js';
import { endpointProblem } from './net/url-policy.js';
import { DEFAULT_ISSUER, DEFAULT_TRUSTED_KEYS } from './license/keys.js';
import { apiKeyProblem } from './net/api-key-format.js';
import { readPublicKeyVariable } from './license/public-key-variable.js';
import { readRefreshOriginsVariable, REFRESH_ORIGINS_VARIABLE, refreshOriginsOption } from './refresh-origins.js';

export const DEFAULT_SERVER_URL = 'https://license.softclient4es.com';
export const DEFAULT_REFRESH_INTERVAL_MS = 24 * 3_600_000;
export const DEFAULT_JITTER = 0.05;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_GRACE_PERIOD_MS = 14 * 86_400_000;
/** The `inspect` option: `true` for the relay on `ws://localhost:8080`, or where the relay is. */
export type InspectOption = boolean | { readonly port?: number | undefined; readonly url?: string | undefined };

export const DEFAULT_INSPECT_PORT = 8080;

/**
 * The relay's WebSocket URL for a valid `inspect` option, `undefined` when inspection is off. (Here,
 * not in inspector.ts: the inspector is loaded only when inspection is on.)
 */
export function inspectUrlOf(option: InspectOption | undefined): string | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return `ws://localhost:${DEFAULT_INSPECT_PORT}`;
  return option.url ?? `ws://localhost:${option.port ?? DEFAULT_INSPECT_PORT}`;
}

/** Longer than this is a typo, not a schedule (and would overflow the date arithmetic). */
export const MAX_INTERVAL_MS = 365 * 86_400_000;

/** Time as the agent sees it: the wall clock in production, a simulated one in tests. */
export interface AgentClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RefreshOptions {
  /** Scheduled refreshes on or off. Default `true`. */
  readonly enabled?: boolean | undefined;
  /** Regular refresh interval: `'24h'`, `'90s'` or milliseconds. Default `'24h'`. */
  readonly interval?: string | number | undefined;
  /** Fraction of the interval by which each regular refresh may come early. Default `0.05`. */
  readonly jitter?: number | undefined;
}

export interface TelemetryOptions {
  /** Usage counters in refresh bodies. Default `true`; the environment can only turn it off. */
  readonly enabled?: boolean | undefined;
}

/** Options of {@link createLicenseAgent}. Every one but `version` is optional. */
export interface LicenseAgentOptions {
  /** The embedding server's version, sent in refresh bodies. */
  readonly version: string;
  /** API-key mode: the key the license server knows this customer by. */
  readonly apiKey?: string | undefined;
  /** Static-JWT mode: the license JWT itself. */
  readonly licenseKey?: string | undefined;
  /** Base URL of the API-key endpoint. Default `https://license.softclient4es.com`. */
  readonly serverUrl?: string | undefined;
  /**
   * The origins a license's `refresh_url` may name (`https://licenses.example.com`); a license naming
   * another is refused. Default: the origin of `serverUrl` and `https://license.softclient4es.com`.
   * Link-local and metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are never trusted.
   */
  readonly refreshOrigins?: readonly string[] | undefined;
  readonly refresh?: RefreshOptions | undefined;
  readonly telemetry?: TelemetryOptions | undefined;
  /** Where the instance id and the license cache live. Default `~/.softclient4es`. */
  readonly stateDir?: string | undefined;
  /**
   * The JWKS of keys allowed to sign licenses. Default: the keys shipped with the package. A key in
   * `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY` is trusted as well.
   */
  readonly trustedKeys?: JSONWebKeySet | undefined;
  /** The `iss` every license must carry. Default `https://license.softclient4es.com`. */
  readonly issuer?: string | undefined;
  /** A pino logger; the agent logs through a child of it. Default: pino on stderr. */
  readonly logger?: Logger | undefined;
  /** How long an expired license keeps its tier before the server degrades to Community. Default `'14d'`. */
  readonly gracePeriod?: string | number | undefined;
  /** Never contact the license server (tools that only read the state, such as `status`). Default `false`. */
  readonly offline?: boolean | undefined;
  /**
   * Certificate authorities (PEM) to trust for the license server instead of Node's bundle, e.g. a
   * private CA. `NODE_EXTRA_CA_CERTS` works too, and adds to the bundle instead.
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /**
   * An HTTP(S) proxy for every request, overriding `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (which
   * are honoured otherwise, in either case).
   */
  readonly proxy?: string | undefined;
  /** Pins the instance id (a UUID) instead of the one kept in the state dir; `SOFTCLIENT4ES_INSTANCE_ID`. */
  readonly instanceId?: string | undefined;
  /** Time to establish a connection to the license server. Default `'10s'`. */
  readonly connectTimeout?: string | number | undefined;
  /** Time to wait for the server's answer (headers, then each body chunk). Default `'10s'`. */
  readonly readTimeout?: string | number | undefined;
  /** The environment read for defaults and telemetry opt-outs. Default `process.env`. */
  readonly env?: Record<string, string | undefined> | undefined;
  /** Time source; tests pass a simulated clock. Default: the wall clock. */
  readonly clock?: AgentClock | undefined;
  /** Random numbers in [0, 1) for jitter; tests pass a fixed one. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /**
   * Live inspection of the statechart with Stately's inspector (needs the optional package
   * `@statelyai/inspect`): `true` sends redacted events to the relay on `ws://localhost:8080`,
   * `{ port }` to `ws://localhost:<port>`, `{ url }` to that WebSocket URL. Default off.
   */
  readonly inspect?: InspectOption | undefined;
}

/** The validated, frozen form of {@link LicenseAgentOptions}. */
export interface AgentConfig {
  readonly version: string;
  readonly apiKey: string | undefined;
  readonly licenseKey: string | undefined;
  readonly serverUrl: string;
  /** The origins a license's `refresh_url` may name. */
  readonly refreshOrigins: readonly string[];
  readonly refresh: { readonly enabled: boolean; readonly intervalMs: number; readonly jitter: number };
  readonly telemetryEnabled: boolean;
  /** The first switch that turned telemetry off (`'telemetry.enabled'`, `'DO_NOT_TRACK'`, ...), if any. */
  readonly telemetryDisabledBy: string | undefined;
  readonly gracePeriodMs: number;
  readonly offline: boolean;
  readonly stateDir: string | undefined;
  /** The keys licenses are verified with: the `trustedKeys` option (or the shipped keys) and the environment's. */
  readonly trustedKeys: JSONWebKeySet;
  readonly issuer: string;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** The proxies in force: from the `proxy` option, or else from the environment (lowercase first). */
  readonly proxies: { readonly http: string; readonly https: string; readonly noProxy: string };
  readonly instanceId: string | undefined;
  /** The inspector relay's WebSocket URL, when live inspection is on. */
  readonly inspectUrl: string | undefined;
}

const TOP_LEVEL_OPTIONS = new Set([
  'version', 'apiKey', 'licenseKey', 'serverUrl', 'refreshOrigins', 'refresh', 'telemetry', 'stateDir', 'trustedKeys', 'issuer',
  'logger', 'connectTimeout', 'readTimeout', 'env', 'clock', 'random', 'gracePeriod', 'offline', 'ca', 'proxy', 'instanceId', 'inspect',
]);
const REFRESH_OPTIONS = new Set(['enabled', 'interval', 'jitter']);
const TELEMETRY_OPTIONS = new Set(['enabled']);

function rejectUnknown(value: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new LicenseConfigError(`${prefix}${key}`, 'is not a known option');
  }
}

function objectOption(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LicenseConfigError(name, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function durationOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    throw new LicenseConfigError(name, `${JSON.stringify(value)} is not a duration (use e.g. '24h', '90s', '500ms' or milliseconds)`);
  }
  return ms;
}

function stringOption(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0) throw new LicenseConfigError(name, 'must be a non-empty string');
  return value.trim();
}

function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new LicenseConfigError(name, 'must be true or false');
  return value;
}

const OFF_WORDS = ['false', '0', 'no', 'off'];
const ON_WORDS = ['true', '1', 'yes', 'on'];

/** The environment variable that turns telemetry off, whatever the options say, or `undefined`. */
export function telemetryOptOutVariable(env: Record<string, string | undefined>): string | undefined {
  const says = (name: string, words: string[]) => {
    const value = env[name];
    return value !== undefined && words.includes(value.trim().toLowerCase());
  };
  if (says('SOFTCLIENT4ES_TELEMETRY_ENABLED', OFF_WORDS)) return 'SOFTCLIENT4ES_TELEMETRY_ENABLED';
  if (says('SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED', OFF_WORDS)) return 'SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED';
  if (says('DO_NOT_TRACK', ON_WORDS)) return 'DO_NOT_TRACK';
  return undefined;
}

/** True when the environment turns telemetry off, whatever the options say. */
export function telemetryOptedOut(env: Record<string, string | undefined>): boolean {
  return telemetryOptOutVariable(env) !== undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function instanceIdOption(value: unknown): string | undefined {
  const id = stringOption(value, 'instanceId');
  if (id !== undefined && !UUID.test(id)) throw new LicenseConfigError('instanceId', `${JSON.stringify(id)} is not a UUID`);
  return id?.toLowerCase();
}

/**
 * The proxies, as undici's EnvHttpProxyAgent would read them, but from the agent's `env` (so that
 * tests and embedders control them) and with the `proxy` option taking precedence over all.
 */
function proxiesOf(proxy: string | undefined, env: Record<string, string | undefined>): AgentConfig['proxies'] {
  if (proxy !== undefined) {
    const problem = /^https?:\/\//i.test(proxy) && URL.canParse(proxy) ? undefined : 'must be an http:// or https:// URL';
    if (problem) throw new LicenseConfigError('proxy', problem);
    return { http: proxy, https: proxy, noProxy: '' };
  }
  const read = (name: string) => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';
  return { http: read('http_proxy'), https: read('https_proxy') || read('http_proxy'), noProxy: read('no_proxy') };
}

function caOption(value: unknown): AgentConfig['ca'] {
  if (value === undefined) return undefined;
  const isPem = (item: unknown) => typeof item === 'string' || Buffer.isBuffer(item);
  if (isPem(value) || (Array.isArray(value) && value.length > 0 && value.every(isPem))) return value as AgentConfig['ca'];
  throw new LicenseConfigError('ca', 'must be a PEM string or Buffer, or an array of them');
}

function inspectOption(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'boolean') return inspectUrlOf(value);
  const option = objectOption(value, 'inspect');
  rejectUnknown(option, new Set(['port', 'url']), 'inspect.');
  const { port, url } = option;
  if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65_536)) {
    throw new LicenseConfigError('inspect.port', 'must be a port number (1 to 65535)');
  }
  if (url !== undefined && !(typeof url === 'string' && /^wss?:\/\//i.test(url) && URL.canParse(url))) {
    throw new LicenseConfigError('inspect.url', 'must be a ws:// or wss:// URL');
  }
  return inspectUrlOf({ port: port as number | undefined, url: url as string | undefined });
}

function gracePeriodOption(value: unknown): number {
  const ms = durationOption(value, 'gracePeriod', DEFAULT_GRACE_PERIOD_MS);
  if (ms > MAX_INTERVAL_MS) throw new LicenseConfigError('gracePeriod', 'must be at most 365 days');
  return ms;
}

function telemetrySwitch(enabled: boolean, env: Record<string, string | undefined>) {
  const optOut = telemetryOptOutVariable(env);
  const telemetryDisabledBy = optOut ?? (enabled ? undefined : 'telemetry.enabled');
  return { telemetryEnabled: telemetryDisabledBy === undefined, telemetryDisabledBy };
}

/** Validates options (already merged with the environment) into a frozen config. */
export function resolveConfig(options: LicenseAgentOptions, env: Record<string, string | undefined>): AgentConfig {
  rejectUnknown(objectOption(options, 'options'), TOP_LEVEL_OPTIONS, '');
  const refresh = objectOption(options.refresh, 'refresh');
  const telemetry = objectOption(options.telemetry, 'telemetry');
  rejectUnknown(refresh, REFRESH_OPTIONS, 'refresh.');
  rejectUnknown(telemetry, TELEMETRY_OPTIONS, 'telemetry.');

  const version = stringOption(options.version, 'version');
  if (version === undefined) throw new LicenseConfigError('version', "is required (the embedding server's version)");

  const intervalMs = durationOption(refresh['interval'], 'refresh.interval', DEFAULT_REFRESH_INTERVAL_MS);
  if (intervalMs <= 0) throw new LicenseConfigError('refresh.interval', 'must be longer than zero');
  if (intervalMs > MAX_INTERVAL_MS) throw new LicenseConfigError('refresh.interval', 'must be at most 365 days');
  const jitter = refresh['jitter'] === undefined ? DEFAULT_JITTER : refresh['jitter'];
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1)) {
    throw new LicenseConfigError('refresh.jitter', 'must be a number from 0 (inclusive) to 1 (exclusive)');
  }

  const serverUrl = stringOption(options.serverUrl, 'serverUrl') ?? DEFAULT_SERVER_URL;
  const urlProblem = endpointProblem(serverUrl);
  if (urlProblem) throw new LicenseConfigError('serverUrl', urlProblem);

  const trustedKeys = options.trustedKeys;
  if (trustedKeys !== undefined && (typeof trustedKeys !== 'object' || !Array.isArray(trustedKeys?.keys))) {
    throw new LicenseConfigError('trustedKeys', 'must be a JWKS object ({ keys: [...] })');
  }

  const apiKey = stringOption(options.apiKey, 'apiKey');
  const keyProblem = apiKey === undefined ? undefined : apiKeyProblem(apiKey);
  if (keyProblem) throw new LicenseConfigError('apiKey', keyProblem);
  const issuer = stringOption(options.issuer, 'issuer') ?? DEFAULT_ISSUER;

  return Object.freeze({
    version,
    apiKey,
    licenseKey: stringOption(options.licenseKey, 'licenseKey'),
    serverUrl: serverUrl.replace(/\/+$/, ''),
    refreshOrigins: refreshOriginsOption(options.refreshOrigins, serverUrl),
    refresh: Object.freeze({
      enabled: booleanOption(refresh['enabled'], 'refresh.enabled', true),
      intervalMs,
      jitter,
    }),
    ...telemetrySwitch(booleanOption(telemetry['enabled'], 'telemetry.enabled', true), env),
    gracePeriodMs: gracePeriodOption(options.gracePeriod),
    offline: booleanOption(options.offline, 'offline', false),
    stateDir: stringOption(options.stateDir, 'stateDir'),
    trustedKeys: withEnvironmentKey(trustedKeys ?? DEFAULT_TRUSTED_KEYS, env),
    issuer,
    connectTimeoutMs: durationOption(options.connectTimeout, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT_MS),
    readTimeoutMs: durationOption(options.readTimeout, 'readTimeout', DEFAULT_READ_TIMEOUT_MS),
    ca: caOption(options.ca),
    proxies: proxiesOf(stringOption(options.proxy, 'proxy'), env),
    instanceId: instanceIdOption(options.instanceId),
    inspectUrl: inspectOption(options.inspect),
  });
}

/**
 * The trusted keys plus the one in `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY`, as SoftClient4ES's helm chart
 * sets it for servers that verify a paid license with no round trip.
 */
function withEnvironmentKey(keys: JSONWebKeySet, env: Record<string, string | undefined>): JSONWebKeySet {
  const added = readPublicKeyVariable(env);
  return added.length === 0 ? keys : { keys: [...keys.keys, ...added] };
}

/** The environment variables {@link loadConfig} reads, and the option each one sets. */
export const ENVIRONMENT_VARIABLES = Object.freeze({
  SOFTCLIENT4ES_API_KEY: 'apiKey',
  SOFTCLIENT4ES_LICENSE_KEY: 'licenseKey',
  SOFTCLIENT4ES_HOME: 'stateDir',
  SOFTCLIENT4ES_LICENSE_SERVER_URL: 'serverUrl',
  [REFRESH_ORIGINS_VARIABLE]: 'refreshOrigins',
  SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: 'refresh.enabled',
  SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: 'refresh.interval',
  SOFTCLIENT4ES_LICENSE_REFRESH_JITTER: 'refresh.jitter',
  SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'telemetry.enabled',
  SOFTCLIENT4ES_TELEMETRY_ENABLED: 'telemetry.enabled',
  DO_NOT_TRACK: 'telemetry.enabled (1 turns it off)',
  SOFTCLIENT4ES_LICENSE_CONNECT_TIMEOUT: 'connectTimeout',
  SOFTCLIENT4ES_LICENSE_READ_TIMEOUT: 'readTimeout',
  SOFTCLIENT4ES_LICENSE_GRACE_PERIOD: 'gracePeriod',
  SOFTCLIENT4ES_INSTANCE_ID: 'instanceId',
} as const);

function envBoolean(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new LicenseConfigError(name, `${JSON.stringify(env[name])} is not a boolean (use true or false)`);
}

function envString(env: Record<string, string | undefined>, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function envDuration(env: Record<string, string | undefined>, name: string): string | undefined {
  const raw = envString(env, name);
  if (raw !== undefined && parseDuration(raw) === undefined) {
    throw new LicenseConfigError(name, `${JSON.stringify(raw)} is not a duration (use e.g. '24h' or '90s')`);
  }
  return raw;
}

function envInstanceId(env: Record<string, string | undefined>): string | undefined {
  const raw = envString(env, 'SOFTCLIENT4ES_INSTANCE_ID');
  if (raw !== undefined && !UUID.test(raw)) throw new LicenseConfigError('SOFTCLIENT4ES_INSTANCE_ID', `${JSON.stringify(raw)} is not a UUID`);
  return raw;
}

function envNumber(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new LicenseConfigError(name, `${JSON.stringify(raw)} is not a number`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Reads the agent's options from environment variables (see {@link ENVIRONMENT_VARIABLES}).
 * Returns only what is set, so it can sit under explicit options: `{ ...loadConfig(env), ...mine }`.
 * `SOFTCLIENT4ES_LICENSE_PUBLIC_KEY` is read when the config is resolved: it adds to the trusted keys.
 *
 * @example
 * const agent = createLicenseAgent({ ...loadConfig(process.env), version: '1.2.3' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Partial<LicenseAgentOptions> {
  const refresh = withoutUndefined({
    enabled: envBoolean(env, 'SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED'),
    interval: envDuration(env, 'SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL'),
    jitter: envNumber(env, 'SOFTCLIENT4ES_LICENSE_REFRESH_JITTER'),
  });
  if (refresh.jitter !== undefined && !(refresh.jitter >= 0 && refresh.jitter < 1)) {
    throw new LicenseConfigError('SOFTCLIENT4ES_LICENSE_REFRESH_JITTER', 'must be a number from 0 (inclusive) to 1 (exclusive)');
  }
  const serverUrl = envString(env, 'SOFTCLIENT4ES_LICENSE_SERVER_URL');
  const urlProblem = serverUrl === undefined ? undefined : endpointProblem(serverUrl);
  if (urlProblem) throw new LicenseConfigError('SOFTCLIENT4ES_LICENSE_SERVER_URL', urlProblem);
  const licenseTelemetry = envBoolean(env, 'SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED');
  const telemetry = envBoolean(env, 'SOFTCLIENT4ES_TELEMETRY_ENABLED');
  const telemetryEnabled = licenseTelemetry ?? telemetry;
  const optedOut = telemetryOptedOut(env);
  return withoutUndefined({
    apiKey: envString(env, 'SOFTCLIENT4ES_API_KEY'),
    licenseKey: envString(env, 'SOFTCLIENT4ES_LICENSE_KEY'),
    stateDir: envString(env, 'SOFTCLIENT4ES_HOME'),
    serverUrl,
    refreshOrigins: readRefreshOriginsVariable(env),
    refresh: Object.keys(refresh).length > 0 ? refresh : undefined,
    telemetry: optedOut ? { enabled: false } : telemetryEnabled === undefined ? undefined : { enabled: telemetryEnabled },
    connectTimeout: envDuration(env, 'SOFTCLIENT4ES_LICENSE_CONNECT_TIMEOUT'),
    readTimeout: envDuration(env, 'SOFTCLIENT4ES_LICENSE_READ_TIMEOUT'),
    gracePeriod: envDuration(env, 'SOFTCLIENT4ES_LICENSE_GRACE_PERIOD'),
    instanceId: envInstanceId(env),
  });
}

/** Explicit options over environment ones, one level deep for `refresh` and `telemetry`. */
export function mergeOptions(fromEnv: Partial<LicenseAgentOptions>, explicit: LicenseAgentOptions): LicenseAgentOptions {
  const merged = { ...fromEnv, ...withoutUndefined(explicit) } as LicenseAgentOptions;
  // Leave a malformed `refresh` or `telemetry` (a string, say) as it is: validation names it.
  if (!isPlainObject(explicit.refresh ?? {}) || !isPlainObject(explicit.telemetry ?? {})) return merged;
  const refresh = { ...fromEnv.refresh, ...withoutUndefined(explicit.refresh ?? {}) };
  const telemetry = { ...fromEnv.telemetry, ...withoutUndefined(explicit.telemetry ?? {}) };
  return {
    ...merged,
    ...(Object.keys(refresh).length > 0 ? { refresh } : {}),
    ...(Object.keys(telemetry).length > 0 ? { telemetry } : {}),
  };
}
