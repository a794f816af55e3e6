/**
 * The agent's options as environment variables: which variable sets which option, how each is
 * read (`loadConfig`), and how explicit options sit over them (`mergeOptions`). The environment can
 * always turn telemetry off, whatever the options say.
 */
import { LicenseConfigError } from '../errors.js';
import { endpointProblem } from '../net/url-policy.js';
import { isUuid } from '../state/instance-id.js';
import { parseDuration } from './duration.js';
import { API_KEY_SETTINGS, LICENSE_KEY_SETTINGS, type CredentialSettings } from './credential-files.js';
import { isJitter, JITTER_RULE, type LicenseAgentOptions } from './options.js';
import { readRefreshOriginsVariable, REFRESH_ORIGINS_VARIABLE } from './refresh-origins.js';

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

/** The environment variables {@link loadConfig} reads, and the option each one sets. */
export const ENVIRONMENT_VARIABLES = Object.freeze({
  /** API-key mode: the key the license server knows this customer by (`sk-...`). */
  SOFTCLIENT4ES_API_KEY: 'apiKey',
  /** The path of a file holding the API key, read at creation only; not with `SOFTCLIENT4ES_API_KEY`. */
  SOFTCLIENT4ES_API_KEY_FILE: 'apiKeyFile',
  /** Static-JWT mode: the license JWT itself. */
  SOFTCLIENT4ES_LICENSE_KEY: 'licenseKey',
  /** The path of a file holding the license JWT (a mounted Secret), watched; not with `SOFTCLIENT4ES_LICENSE_KEY`. */
  SOFTCLIENT4ES_LICENSE_KEY_FILE: 'licenseFile',
  /** The state directory: instance id, license cache and state. Default `~/.softclient4es`. */
  SOFTCLIENT4ES_HOME: 'stateDir',
  /** Base URL of the API-key endpoint. Default `https://license.softclient4es.com`. */
  SOFTCLIENT4ES_LICENSE_SERVER_URL: 'serverUrl',
  /** The origins a license's `refresh_url` may name, separated by commas or spaces. */
  [REFRESH_ORIGINS_VARIABLE]: 'refreshOrigins',
  /** Scheduled refreshes on or off (`true` / `false`). Default `true`. */
  SOFTCLIENT4ES_LICENSE_REFRESH_ENABLED: 'refresh.enabled',
  /** The regular refresh interval, a duration (`24h`, `90s`, `1h30m`). Default `24h`. */
  SOFTCLIENT4ES_LICENSE_REFRESH_INTERVAL: 'refresh.interval',
  /** The fraction of the interval a regular refresh may come early, from 0 up to 1. Default `0.05`. */
  SOFTCLIENT4ES_LICENSE_REFRESH_JITTER: 'refresh.jitter',
  /** Usage telemetry on or off (`true` / `false`); over `SOFTCLIENT4ES_TELEMETRY_ENABLED`, though `false` in either turns it off. */
  SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED: 'telemetry.enabled',
  /** Usage telemetry on or off (`true` / `false`), SoftClient4ES's own switch; `false` turns it off whatever the options say. */
  SOFTCLIENT4ES_TELEMETRY_ENABLED: 'telemetry.enabled',
  /** `1` (or `true`, `yes`, `on`) turns telemetry off, whatever the options say. */
  DO_NOT_TRACK: 'telemetry.enabled (1 turns it off)',
  /** Time to connect to the license server, a duration. Default `10s`. */
  SOFTCLIENT4ES_LICENSE_CONNECT_TIMEOUT: 'connectTimeout',
  /** Time to wait for the server's answer, and for each chunk of its body, a duration. Default `10s`. */
  SOFTCLIENT4ES_LICENSE_READ_TIMEOUT: 'readTimeout',
  /** How long an expired license keeps its tier before the server degrades to Community. Default `14d`. */
  SOFTCLIENT4ES_LICENSE_GRACE_PERIOD: 'gracePeriod',
  /** Pins the instance id (a UUID) instead of the one kept in the state directory. */
  SOFTCLIENT4ES_INSTANCE_ID: 'instanceId',
} as const);

function envBoolean(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (ON_WORDS.includes(raw)) return true;
  if (OFF_WORDS.includes(raw)) return false;
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
  if (raw !== undefined && !isUuid(raw)) throw new LicenseConfigError('SOFTCLIENT4ES_INSTANCE_ID', `${JSON.stringify(raw)} is not a UUID`);
  return raw;
}

/**
 * A credential's variable or its `_FILE` twin (`SOFTCLIENT4ES_LICENSE_KEY_FILE`), never both: which
 * one the operator meant cannot be guessed.
 */
function envCredential(env: Record<string, string | undefined>, settings: CredentialSettings) {
  const value = envString(env, settings.variable);
  const file = envString(env, settings.fileVariable);
  if (value !== undefined && file !== undefined) {
    throw new LicenseConfigError(settings.fileVariable, `is set together with ${settings.variable}: set one of them, not both`);
  }
  return { [settings.value]: value, [settings.file]: file };
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
 * The `_FILE` variables give paths (`licenseFile`, `apiKeyFile`): the files are read when the config
 * is resolved too. A variable set together with its `_FILE` twin throws a `LicenseConfigError`.
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
  if (refresh.jitter !== undefined && !isJitter(refresh.jitter)) throw new LicenseConfigError('SOFTCLIENT4ES_LICENSE_REFRESH_JITTER', JITTER_RULE);
  const serverUrl = envString(env, 'SOFTCLIENT4ES_LICENSE_SERVER_URL');
  const urlProblem = serverUrl === undefined ? undefined : endpointProblem(serverUrl);
  if (urlProblem) throw new LicenseConfigError('SOFTCLIENT4ES_LICENSE_SERVER_URL', urlProblem);
  const licenseTelemetry = envBoolean(env, 'SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED');
  const telemetry = envBoolean(env, 'SOFTCLIENT4ES_TELEMETRY_ENABLED');
  const telemetryEnabled = licenseTelemetry ?? telemetry;
  const optedOut = telemetryOptedOut(env);
  return withoutUndefined({
    ...envCredential(env, API_KEY_SETTINGS),
    ...envCredential(env, LICENSE_KEY_SETTINGS),
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

/**
 * The environment's options less the credentials the explicit ones set: a credential comes whole from
 * one layer, so that an explicit `licenseKey` wins over `SOFTCLIENT4ES_LICENSE_KEY_FILE` as it wins
 * over `SOFTCLIENT4ES_LICENSE_KEY`, instead of being set together with it.
 */
function withoutExplicitCredentials(fromEnv: Partial<LicenseAgentOptions>, explicit: LicenseAgentOptions): Partial<LicenseAgentOptions> {
  const dropped = new Set<string>();
  for (const { value, file } of [API_KEY_SETTINGS, LICENSE_KEY_SETTINGS]) {
    if (explicit[value] !== undefined || explicit[file] !== undefined) dropped.add(value).add(file);
  }
  return Object.fromEntries(Object.entries(fromEnv).filter(([key]) => !dropped.has(key)));
}

/**
 * Explicit options over environment ones, one level deep for `refresh` and `telemetry`; a credential
 * (the API key, the license key) whole from one layer, its value or its file.
 *
 * @example
 * mergeOptions(loadConfig({ SOFTCLIENT4ES_LICENSE_KEY_FILE: '/run/secrets/license' }), { version: '1.2.3', licenseKey: jwt });
 * // { version: '1.2.3', licenseKey: jwt }: the explicit key, not the environment's file
 */
export function mergeOptions(fromEnv: Partial<LicenseAgentOptions>, explicit: LicenseAgentOptions): LicenseAgentOptions {
  const merged: LicenseAgentOptions = { ...withoutExplicitCredentials(fromEnv, explicit), ...withoutUndefined(explicit) };
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
