/**
 * Validation of the agent's options (already merged with the environment) into a frozen config.
 * Validation is eager: bad configuration throws at once, with an error naming the option, rather
 * than surfacing hours later at the first refresh.
 */
import type { JSONWebKeySet } from 'jose';
import { LicenseConfigError } from '../errors.js';
import { DEFAULT_ISSUER, DEFAULT_TRUSTED_KEYS } from '../license/keys.js';
import { readPublicKeyVariable } from '../license/public-key-variable.js';
import { apiKeyProblem } from '../net/api-key-format.js';
import { endpointProblem } from '../net/url-policy.js';
import { isUuid } from '../state/instance-id.js';
import { API_KEY_SETTINGS, credentialFromFile, LICENSE_KEY_SETTINGS } from './credential-files.js';
import { parseDuration } from './duration.js';
import { telemetryOptOutVariable } from './environment.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_GRACE_PERIOD_MS,
  DEFAULT_JITTER,
  DEFAULT_READ_TIMEOUT_MS,
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_SERVER_URL,
  inspectUrlOf,
  isJitter,
  JITTER_RULE,
  KNOWN_OPTIONS,
  MAX_INTERVAL_MS,
  type AgentConfig,
  type LicenseAgentOptions,
} from './options.js';
import { refreshOriginsOption } from './refresh-origins.js';

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

function instanceIdOption(value: unknown): string | undefined {
  const id = stringOption(value, 'instanceId');
  if (id !== undefined && !isUuid(id)) throw new LicenseConfigError('instanceId', `${JSON.stringify(id)} is not a UUID`);
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
  if (isPem(value) || (Array.isArray(value) && value.length > 0 && value.every(isPem))) return value;
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
  return inspectUrlOf({ port: port as number | undefined, url });
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

/** The `refresh` and `telemetry` sections, once no option anywhere is unknown. */
function sectionsOf(options: LicenseAgentOptions): { refresh: Record<string, unknown>; telemetry: Record<string, unknown> } {
  rejectUnknown(objectOption(options, 'options'), KNOWN_OPTIONS.topLevel, '');
  const refresh = objectOption(options.refresh, 'refresh');
  const telemetry = objectOption(options.telemetry, 'telemetry');
  rejectUnknown(refresh, KNOWN_OPTIONS.refresh, 'refresh.');
  rejectUnknown(telemetry, KNOWN_OPTIONS.telemetry, 'telemetry.');
  return { refresh, telemetry };
}

function versionOption(value: unknown): string {
  const version = stringOption(value, 'version');
  if (version === undefined) throw new LicenseConfigError('version', "is required (the embedding server's version)");
  return version;
}

function intervalOption(value: unknown): number {
  const intervalMs = durationOption(value, 'refresh.interval', DEFAULT_REFRESH_INTERVAL_MS);
  if (intervalMs <= 0) throw new LicenseConfigError('refresh.interval', 'must be longer than zero');
  if (intervalMs > MAX_INTERVAL_MS) throw new LicenseConfigError('refresh.interval', 'must be at most 365 days');
  return intervalMs;
}

function jitterOption(value: unknown): number {
  const jitter = value === undefined ? DEFAULT_JITTER : value;
  if (!isJitter(jitter)) throw new LicenseConfigError('refresh.jitter', JITTER_RULE);
  return jitter;
}

function serverUrlOption(value: unknown): string {
  const serverUrl = stringOption(value, 'serverUrl') ?? DEFAULT_SERVER_URL;
  const urlProblem = endpointProblem(serverUrl);
  if (urlProblem) throw new LicenseConfigError('serverUrl', urlProblem);
  return serverUrl;
}

function trustedKeysOption(trustedKeys: LicenseAgentOptions['trustedKeys']): JSONWebKeySet | undefined {
  if (trustedKeys !== undefined && (typeof trustedKeys !== 'object' || !Array.isArray(trustedKeys?.keys))) {
    throw new LicenseConfigError('trustedKeys', 'must be a JWKS object ({ keys: [...] })');
  }
  return trustedKeys;
}

/** The API key, from `apiKey` or from its file; one that is not `sk-...` is refused, never quoted. */
function apiKeyOption(options: LicenseAgentOptions, env: Record<string, string | undefined>): string | undefined {
  const file = credentialFromFile(options, env, API_KEY_SETTINGS);
  const apiKey = file?.text ?? stringOption(options.apiKey, 'apiKey');
  const keyProblem = apiKey === undefined ? undefined : apiKeyProblem(apiKey);
  if (keyProblem && file) throw new LicenseConfigError(file.setting, `${JSON.stringify(file.path)} holds no usable API key (${keyProblem})`);
  if (keyProblem) throw new LicenseConfigError('apiKey', keyProblem);
  return apiKey;
}

/** The license key, from `licenseKey` or from its file (and then where it came from, to watch it). */
function licenseKeyOption(options: LicenseAgentOptions, env: Record<string, string | undefined>) {
  const file = credentialFromFile(options, env, LICENSE_KEY_SETTINGS);
  if (file === undefined) return { licenseKey: stringOption(options.licenseKey, 'licenseKey'), licenseFile: undefined };
  return { licenseKey: file.text, licenseFile: Object.freeze({ path: file.path, setting: file.setting }) };
}

/** Validates options (already merged with the environment) into a frozen config; the first mistake throws. */
export function resolveConfig(options: LicenseAgentOptions, env: Record<string, string | undefined>): AgentConfig {
  const { refresh, telemetry } = sectionsOf(options);
  const version = versionOption(options.version);
  const intervalMs = intervalOption(refresh['interval']);
  const jitter = jitterOption(refresh['jitter']);
  const serverUrl = serverUrlOption(options.serverUrl);
  const trustedKeys = trustedKeysOption(options.trustedKeys);
  const apiKey = apiKeyOption(options, env);
  const { licenseKey, licenseFile } = licenseKeyOption(options, env);
  const issuer = stringOption(options.issuer, 'issuer') ?? DEFAULT_ISSUER;

  return Object.freeze({
    version,
    apiKey,
    licenseKey,
    licenseFile,
    reloadOnSighup: booleanOption(options.reloadOnSighup, 'reloadOnSighup', false),
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
