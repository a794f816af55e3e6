/**
 * What the agent tells people: `status()` for tools and dashboards, and the rows of SoftClient4ES's
 * `SHOW LICENSE` and `REFRESH LICENSE`. Pure functions of the statechart's snapshot and the config;
 * built on request, never on the hot path.
 */
import type { AgentContext, AgentMode, RefreshOutcome } from '../../machines/context.js';
import { expiresAtOf, forcedRefreshAt, hasRefreshPath } from '../../machines/refresh-policy.js';
import { daysExpired, daysRemaining, graceDaysRemaining } from '../../machines/validity.js';
import { formatDuration } from '../config/duration.js';
import { describeError } from '../errors.js';
import { isoInstant } from '../instant.js';
import type { Quotas, Tier } from '../license/claims.js';
import type { EffectiveLicense, GraceStage, ValidityStage } from '../license/effective.js';
import type { AgentConfig } from '../config/options.js';
import { tokenUrl } from '../net/api-key-client.js';
import type { RefreshState } from './snapshot.js';

/**
 * What `agent.status()` returns: the agent's whole state for a tool or a dashboard, as plain JSON
 * (instants as ISO 8601 strings, `null` for "none"). Built on each call.
 */
export interface AgentStatus {
  /** Where licenses come from: `api-key` (fetched with the key), `static-jwt` (a configured JWT) or `community` (none). */
  readonly mode: AgentMode;
  /** The refresh region's state; `'created'` before `start()`. */
  readonly state: RefreshState | 'created';
  /** Where the license in force stands: `valid`, `expiringSoon` (under 48 h left), `grace` (expired) or `degraded`. */
  readonly validity: ValidityStage;
  /** The tier in force (`Community` once degraded). */
  readonly tier: Tier;
  /** The quotas in force (Community's once degraded). */
  readonly quotas: Quotas;
  /** The features in force, lower case. */
  readonly features: readonly string[];
  /** The license's id (its `sub`), degraded or not; `null` with no license. */
  readonly licenseId: string | null;
  /** When the license expires (or expired), ISO 8601; `null` when it never expires or there is none. */
  readonly expiresAt: string | null;
  /** Whole days until expiry; `null` when the license never expires (or there is none). */
  readonly daysRemaining: number | null;
  /** The part of grace the license is in: `early` (the first half), `mid` (the rest), or `none` outside grace. */
  readonly grace: GraceStage;
  /** While in grace: whole days since expiry. */
  readonly daysExpired?: number;
  /** While in grace: whole days of grace left (1 on the last day). */
  readonly graceDaysRemaining?: number;
  /** True once a paid license has lapsed past its grace period and the server runs as Community. */
  readonly degraded: boolean;
  /** While degraded: the license that lapsed. */
  readonly degradedFrom: {
    /** The lapsed license's id. */
    readonly licenseId: string;
    /** The tier it granted. */
    readonly tier: Tier;
  } | null;
  /** Where refreshes go: the token endpoint, the license's `refresh_url`, or `null` (offline). */
  readonly endpoint: string | null;
  /** This installation's anonymous instance id, sent with each refresh; `null` before `start()` read it. */
  readonly instanceId: string | null;
  /** When the license was last fetched successfully (by this process or, per the cache, an earlier one), ISO 8601; `null` if unknown. */
  readonly lastRefresh: string | null;
  /** The last refresh attempt of this process; `null` before the first. */
  readonly lastAttempt: {
    /** When it ended, ISO 8601. */
    readonly at: string;
    /** Whether it brought a license. */
    readonly ok: boolean;
    /** `refreshed`, or why it failed. */
    readonly message: string;
  } | null;
  /** When the next refresh is due, ISO 8601; `null` when none is scheduled. */
  readonly nextRefreshAt: string | null;
  /** Whether regular refreshes run (`refresh.enabled`); a refresh asked for runs either way. */
  readonly refreshEnabled: boolean;
  /** Whether refreshes carry the usage telemetry. */
  readonly telemetryEnabled: boolean;
  /** What turned telemetry off: the environment variable (`DO_NOT_TRACK`, ...) or `telemetry.enabled`; `null` while on. */
  readonly telemetryDisabledBy: string | null;
  /** The state directory (cache, instance id); `null` before `start()` found it or when none could be used. */
  readonly stateDir: string | null;
  /** Why the last refresh attempt failed; `null` when it succeeded or none was made. */
  readonly lastError: string | null;
  /** The license server's clock minus ours, from the last answer's `Date` header; `null` before any. */
  readonly serverClockOffsetMs: number | null;
  /** Set when the system clock looks wrong (set back behind the license's issue time). */
  readonly clockWarning: string | null;
}

/**
 * One row of `SHOW LICENSE`, column for column as SoftClient4ES returns it: the quotas as text, the
 * expiry as an instant at seconds precision. `license()` and `quota()` keep the typed numbers.
 */
export interface ShowLicenseRow {
  /** `Pro`, `Pro (trial)`, `Community (degraded)`, ... */
  readonly license_type: string;
  /** Whether the license is a trial. */
  readonly trial: boolean;
  /** The platform the license is scoped to; `PRODUCTION` unless the license says otherwise. */
  readonly platform: string;
  /** The quota as a decimal string (`"50"`), or `"unlimited"`; likewise the other `max_*` columns. */
  readonly max_materialized_views: string;
  /** The cluster quota, as text. */
  readonly max_clusters: string;
  /** The quota of rows a query may return (the license's `max_query_results`), as text. */
  readonly max_result_rows: string;
  /** The join quota, as text. */
  readonly max_joins: string;
  /** `2027-12-31T23:59:59Z`, or `never` when no expiry is in force (Community, degraded included). */
  readonly expires_at: string;
  /** Whole days until expiry, truncated toward zero (so `-3` three days into grace); `-1` with no expiry. */
  readonly days_remaining: number;
  /** `Active`, `Expired (3 days ago, in grace period)` or `Expired (10 days ago, 4 days until Community fallback)`. */
  readonly status: string;
}

/** One row of `REFRESH LICENSE`, as SoftClient4ES returns it. */
export interface RefreshLicenseRow {
  /** The tier in force before the refresh. */
  readonly previous_tier: Tier;
  /** The tier after the refresh; the previous one when the refresh failed. */
  readonly new_tier: Tier;
  /** Whether the license in force after the refresh is a trial. */
  readonly trial: boolean;
  /** As in `SHOW LICENSE`: seconds precision, or `never`. */
  readonly expires_at: string;
  /** `Refreshed` when a license came in, else `Failed`. */
  readonly status: 'Refreshed' | 'Failed';
  /** Empty when refreshed; the reason when not. */
  readonly message: string;
}

/** Everything the views are built from. */
export interface AgentView {
  readonly config: AgentConfig;
  readonly mode: AgentMode;
  readonly state: RefreshState | 'created';
  readonly validity: ValidityStage;
  readonly context: AgentContext | undefined;
  /** The last refresh attempt's outcome, as the statechart reported it. */
  readonly lastOutcome: RefreshOutcome | undefined;
  readonly license: EffectiveLicense;
  readonly instanceId: string | null;
  readonly stateDir: string | null;
  readonly now: number;
  readonly serverClockOffsetMs: number | null;
  readonly clockWarning: string | null;
}

const iso = isoInstant;

function endpointOf(view: AgentView): string | null {
  const { context, config } = view;
  if (!context || !hasRefreshPath(context)) return null;
  if (context.mode === 'api-key') return tokenUrl(config.serverUrl);
  return context.license?.claims.refresh_url ?? null;
}

function nextRefreshOf(view: AgentView): number | undefined {
  const { context, state } = view;
  if (!context) return undefined;
  if (state === 'scheduled' || state === 'retryWait' || state === 'firstLicense.retryWait') return Math.min(context.nextRefreshAt, forcedRefreshAt(context));
  // A tool that reads the state offline still wants to know when the agent would refresh.
  if (state === 'offline' && !context.networkAllowed && context.refreshEnabled && hasRefreshPath(context)) return context.nextRefreshAt;
  return undefined;
}

function graceFacts(view: AgentView) {
  const expiresAt = view.context && expiresAtOf(view.context);
  if (view.validity !== 'grace' || expiresAt === undefined || !view.context) return {};
  return {
    daysExpired: daysExpired(expiresAt, view.now),
    graceDaysRemaining: graceDaysRemaining(expiresAt, view.context.gracePeriodMs, view.now),
  };
}

export function buildStatus(view: AgentView): AgentStatus {
  const { context, license, config } = view;
  const outcome = view.lastOutcome;
  const expiresAt = context && expiresAtOf(context);
  const claims = context?.license?.claims;
  return {
    mode: view.mode,
    state: view.state,
    validity: view.validity,
    tier: license.tier,
    quotas: license.quotas,
    features: license.features,
    licenseId: claims?.sub ?? null,
    expiresAt: iso(expiresAt),
    daysRemaining: expiresAt === undefined ? null : daysRemaining(expiresAt, view.now),
    grace: license.grace,
    ...graceFacts(view),
    degraded: license.degraded,
    degradedFrom: license.degraded && claims ? { licenseId: claims.sub, tier: claims.tier } : null,
    endpoint: endpointOf(view),
    instanceId: view.instanceId,
    lastRefresh: iso(context?.lastRefreshAt),
    lastAttempt: outcome
      ? { at: iso(outcome.at) as string, ok: outcome.ok, message: outcome.ok ? 'refreshed' : describeError(outcome.error) }
      : null,
    nextRefreshAt: iso(nextRefreshOf(view)),
    refreshEnabled: config.refresh.enabled,
    telemetryEnabled: config.telemetryEnabled,
    telemetryDisabledBy: config.telemetryDisabledBy ?? null,
    stateDir: view.stateDir,
    lastError: outcome && !outcome.ok ? describeError(outcome.error) : null,
    serverClockOffsetMs: view.serverClockOffsetMs,
    clockWarning: view.clockWarning,
  };
}

const quota = (value: number | null): string => (value === null ? 'unlimited' : String(value));

/** An instant as SoftClient4ES prints one: ISO 8601 at seconds precision, `never` for none. */
function rowInstant(iso: string | null): string {
  if (iso === null) return 'never';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z') : 'never';
}

/** The expiry the row shows: a degraded server runs on Community terms, which never expire. */
function rowExpiry(license: EffectiveLicense): string {
  return license.degraded ? 'never' : rowInstant(license.expiresAt);
}

function rowDaysRemaining(license: EffectiveLicense, status: AgentStatus): number {
  if (license.degraded || status.daysRemaining === null) return -1;
  // Truncated toward zero, as SoftClient4ES counts: in grace, minus the whole days since expiry.
  return status.daysExpired === undefined ? status.daysRemaining : 0 - status.daysExpired;
}

function rowStatus(status: AgentStatus): string {
  if (status.validity !== 'grace' || status.daysExpired === undefined) return 'Active';
  if (status.grace === 'early') return `Expired (${status.daysExpired} days ago, in grace period)`;
  return `Expired (${status.daysExpired} days ago, ${status.graceDaysRemaining ?? 0} days until Community fallback)`;
}

/** The `SHOW LICENSE` row of the license in force. */
export function showLicenseRow(license: EffectiveLicense, status: AgentStatus): ShowLicenseRow {
  const suffix = `${license.trial ? ' (trial)' : ''}${license.degraded ? ' (degraded)' : ''}`;
  return {
    license_type: `${license.tier}${suffix}`,
    trial: license.trial,
    platform: license.platform ?? 'PRODUCTION',
    max_materialized_views: quota(license.quotas.max_materialized_views),
    max_clusters: quota(license.quotas.max_clusters),
    max_result_rows: quota(license.quotas.max_query_results),
    max_joins: quota(license.quotas.max_joins),
    expires_at: rowExpiry(license),
    days_remaining: rowDaysRemaining(license, status),
    status: rowStatus(status),
  };
}

/**
 * The `REFRESH LICENSE` row after a refresh (or its refusal). As in SoftClient4ES, a failed refresh
 * reports the previous tier as the new one, and a successful one has an empty message.
 */
export function refreshLicenseRow(
  previousTier: Tier,
  license: EffectiveLicense,
  outcome: { ok: boolean; message: string },
): RefreshLicenseRow {
  return {
    previous_tier: previousTier,
    new_tier: outcome.ok ? license.tier : previousTier,
    trial: license.trial,
    expires_at: rowExpiry(license),
    status: outcome.ok ? 'Refreshed' : 'Failed',
    message: outcome.ok ? '' : outcome.message,
  };
}

/**
 * The one start-up line that says what the agent will do on the network, so that an operator knows
 * what leaves the machine without reading any code.
 */
export function networkNotice(config: AgentConfig, context: AgentContext): string {
  if (!context.networkAllowed) return 'offline: no outbound connections (offline option)';
  if (!hasRefreshPath(context)) return 'offline: no outbound connections';
  const endpoint = context.mode === 'api-key' ? config.serverUrl : (context.license?.claims.refresh_url as string);
  const host = new URL(endpoint).host;
  const telemetry = config.telemetryEnabled
    ? 'telemetry on (disable with SOFTCLIENT4ES_TELEMETRY_ENABLED=false)'
    : `telemetry off (${config.telemetryDisabledBy ?? 'disabled'})`;
  if (!config.refresh.enabled) {
    return context.needsFirstLicense
      ? `will contact ${host} once now, then only when a refresh is asked for (refresh disabled: driver mode); ${telemetry}`
      : `offline: refresh disabled, no outbound connections unless a refresh is asked for; ${telemetry}`;
  }
  return `will contact ${host} about every ${formatDuration(config.refresh.intervalMs)}; ${telemetry}`;
}
