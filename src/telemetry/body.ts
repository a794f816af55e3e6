/**
 * The JSON bodies of the two requests (the wire contract). `telemetry` is present only when
 * telemetry is on; `instance_id` and `version` are always sent.
 */
import type { UsageSnapshot } from './counters.js';

/** `POST {serverUrl}/api/v1/licenses/token` */
export interface TokenRequestBody {
  /** The installation's anonymous id: a UUID kept in the state directory, or the `instanceId` option. */
  readonly instance_id: string;
  /** The server's version, as given to `createLicenseAgent`. */
  readonly version: string;
  /** Hours since the agent started, to the millihour. */
  readonly uptime_hours: number;
  /** The usage counters and gauges; absent when telemetry is off. */
  readonly telemetry?: UsageSnapshot;
}

/** `POST {refresh_url}` */
export interface RefreshRequestBody extends TokenRequestBody {
  /** The id (`sub`) of the license being refreshed. */
  readonly license_id: string;
}

export interface BodyFacts {
  readonly instanceId: string;
  readonly version: string;
  /** Milliseconds since the agent started. */
  readonly uptimeMs: number;
  /** The usage snapshot, or `undefined` when telemetry is off. */
  readonly usage: UsageSnapshot | undefined;
}

/** Hours, to the millihour (3.6 s): enough for a fleet view, no finer than it needs to be. */
export function uptimeHours(uptimeMs: number): number {
  return Number.isFinite(uptimeMs) && uptimeMs > 0 ? Math.round(uptimeMs / 3_600) / 1_000 : 0;
}

export function buildTokenRequestBody(facts: BodyFacts): TokenRequestBody {
  const body = { instance_id: facts.instanceId, version: facts.version, uptime_hours: uptimeHours(facts.uptimeMs) };
  return facts.usage === undefined ? body : { ...body, telemetry: facts.usage };
}

export function buildRefreshRequestBody(licenseId: string, facts: BodyFacts): RefreshRequestBody {
  return { license_id: licenseId, ...buildTokenRequestBody(facts) };
}
