/**
 * The agent's options: their types, their defaults, and the names of those the agent knows (each
 * list checked by the compiler against its interface, so that a new option cannot be forgotten by
 * the check that refuses unknown ones). Their validation is in `resolve.ts`, their environment forms
 * in `environment.ts`.
 */
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import type { AgentClock } from '../clock.js';

/** The license server `serverUrl` defaults to: SoftClient4ES's own. */
export const DEFAULT_SERVER_URL = 'https://license.softclient4es.com';
export const DEFAULT_REFRESH_INTERVAL_MS = 24 * 3_600_000;
export const DEFAULT_JITTER = 0.05;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_GRACE_PERIOD_MS = 14 * 86_400_000;

/** The one rule for a jitter, as an option or as a variable. */
export const JITTER_RULE = 'must be a number from 0 (inclusive) to 1 (exclusive)';
export function isJitter(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value < 1;
}
/** The `inspect` option: `true` for the relay on `ws://localhost:8080`, or where the relay is. */
export type InspectOption =
  | boolean
  | {
      /** The relay's port on localhost: `ws://localhost:<port>`. Default `8080`. */
      readonly port?: number | undefined;
      /** The relay's WebSocket URL, `ws://` or `wss://`, whole; it wins over `port`. */
      readonly url?: string | undefined;
    };

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

/** When the agent refreshes the license on its own (`refresh` in {@link LicenseAgentOptions}). */
export interface RefreshOptions {
  /** Scheduled refreshes on or off. Default `true`. */
  readonly enabled?: boolean | undefined;
  /** Regular refresh interval: `'24h'`, `'90s'` or milliseconds. Default `'24h'`. */
  readonly interval?: string | number | undefined;
  /** Fraction of the interval by which each regular refresh may come early. Default `0.05`. */
  readonly jitter?: number | undefined;
}

/** Whether request bodies carry the usage counters (`telemetry` in {@link LicenseAgentOptions}). */
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
  /**
   * Static-JWT mode from a file: the path of a file holding the license JWT, as a Kubernetes Secret
   * mounted as a volume holds it (`SOFTCLIENT4ES_LICENSE_KEY_FILE`). Read (and trimmed) when the
   * agent is created, and watched while it runs: a new license that verifies is adopted without a
   * restart. Not with `licenseKey`.
   */
  readonly licenseFile?: string | undefined;
  /**
   * API-key mode from a file: the path of a file holding the API key (`SOFTCLIENT4ES_API_KEY_FILE`).
   * Read (and trimmed) when the agent is created, and only then: a new key takes a restart. Not
   * with `apiKey`.
   */
  readonly apiKeyFile?: string | undefined;
  /**
   * Re-read the license file on `SIGHUP`, as well as when it changes. The agent installs a `SIGHUP`
   * listener only with this option and a license file, and removes it on `stop()`; without them,
   * what `SIGHUP` does is left to the embedding server (Node's default ends the process). Default
   * `false`.
   */
  readonly reloadOnSighup?: boolean | undefined;
  /** Base URL of the API-key endpoint. Default `https://license.softclient4es.com`. */
  readonly serverUrl?: string | undefined;
  /**
   * The origins a license's `refresh_url` may name (`https://licenses.example.com`); a license naming
   * another is refused. Default: the origin of `serverUrl` and `https://license.softclient4es.com`.
   * Link-local and metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are never trusted.
   */
  readonly refreshOrigins?: readonly string[] | undefined;
  /** The refresh schedule: on or off, its interval, its jitter. Default `{ enabled: true, interval: '24h', jitter: 0.05 }`. */
  readonly refresh?: RefreshOptions | undefined;
  /** Usage telemetry in request bodies. Default `{ enabled: true }`; the environment can always turn it off. */
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

/** Where the configured license JWT was read from: a file, and the setting that named it. */
export interface LicenseFileSource {
  /** The file's path, as configured. */
  readonly path: string;
  /** What the operator set: `licenseFile`, or `SOFTCLIENT4ES_LICENSE_KEY_FILE`. */
  readonly setting: string;
}

/** The validated, frozen form of {@link LicenseAgentOptions}. */
export interface AgentConfig {
  readonly version: string;
  readonly apiKey: string | undefined;
  /** The configured license JWT: the `licenseKey` option, or what the license file held at creation. */
  readonly licenseKey: string | undefined;
  /** The license file the license key was read from, watched while the agent runs; `undefined` without one. */
  readonly licenseFile: LicenseFileSource | undefined;
  /** Re-read the license file on `SIGHUP`. */
  readonly reloadOnSighup: boolean;
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

/** Every option's name, as the compiler sees the interface: a missing or extra one does not build. */
const TOP_LEVEL: Readonly<Record<keyof LicenseAgentOptions, true>> = {
  version: true, apiKey: true, apiKeyFile: true, licenseKey: true, licenseFile: true, reloadOnSighup: true, serverUrl: true,
  refreshOrigins: true, refresh: true, telemetry: true, stateDir: true, trustedKeys: true, issuer: true, logger: true,
  gracePeriod: true, offline: true, ca: true, proxy: true, instanceId: true, connectTimeout: true, readTimeout: true, env: true, clock: true, random: true, inspect: true,
};
const REFRESH: Readonly<Record<keyof RefreshOptions, true>> = { enabled: true, interval: true, jitter: true };
const TELEMETRY: Readonly<Record<keyof TelemetryOptions, true>> = { enabled: true };

export const KNOWN_OPTIONS = Object.freeze({
  topLevel: new Set(Object.keys(TOP_LEVEL)),
  refresh: new Set(Object.keys(REFRESH)),
  telemetry: new Set(Object.keys(TELEMETRY)),
});
