/**
 * The agent's facts as metric families, for alerting: when the license expires and when its grace
 * ends, how refreshes go, how far the license server's clock is from ours, and what runs. Read from
 * what `status()` is built from, plus the refresh counts the observer keeps; a fact the agent does
 * not have (no license, no expiry, never refreshed, not started) is no sample, never a 0 or `NaN`.
 */
import { expiresAtOf } from '../../machines/refresh-policy.js';
import type { RefreshCounts } from '../agent/observer.js';
import type { AgentView } from '../agent/status.js';
import type { MetricFamily, MetricSample } from './exposition.js';

/** What the families are read from: `statusView()`, and the runtime's counts once started. */
export interface LicenseMetricFacts {
  readonly view: AgentView;
  /** `undefined` before `start()`: no attempt has been counted, nor could be. */
  readonly refreshes: RefreshCounts | undefined;
}

/** One unlabelled sample, or none when the value is absent or not a finite number. */
function sampleOf(value: number | null | undefined): MetricSample[] {
  return value === null || value === undefined || !Number.isFinite(value) ? [] : [{ value }];
}

/** Milliseconds (an instant or a duration) as seconds, fractional where the clock was. */
function seconds(ms: number | null | undefined): MetricSample[] {
  return sampleOf(ms === null || ms === undefined ? undefined : ms / 1000);
}

const flag = (on: boolean): MetricSample[] => [{ value: on ? 1 : 0 }];

function gauge(name: string, help: string, samples: MetricSample[], unit?: 'seconds'): MetricFamily {
  return unit === undefined ? { name, type: 'gauge', help, samples } : { name, type: 'gauge', help, unit, samples };
}

function refreshRequests(counts: RefreshCounts | undefined): MetricFamily {
  const samples = counts
    ? [{ labels: { outcome: 'success' }, value: counts.success }, { labels: { outcome: 'failure' }, value: counts.failure }]
    : [];
  return { name: 'softclient4es_license_refresh_requests', type: 'counter', help: 'License refresh attempts that ended since the agent started, by outcome.', samples };
}

/**
 * The license in force, as labels: its tier, platform (`PRODUCTION` unless the license names one,
 * as `SHOW LICENSE` says), the agent's mode, and the license id: `""` for plain Community, the
 * lapsed license's id while degraded (the tier then says Community).
 */
function licenseInfo(view: AgentView): MetricFamily {
  const { license } = view;
  const labels = { tier: license.tier, platform: license.platform ?? 'PRODUCTION', mode: view.mode, license_id: license.licenseId ?? '' };
  return { name: 'softclient4es_license', type: 'info', help: 'The license in force: tier, platform, agent mode and license id.', samples: [{ labels, value: 1 }] };
}

/** Every family the agent exposes, in a fixed order. */
export function licenseMetricFamilies({ view, refreshes }: LicenseMetricFacts): MetricFamily[] {
  const { context } = view;
  // While degraded, still the lapsed license's expiry: an alert on it keeps firing until renewal.
  const expiresAt = context && expiresAtOf(context);
  const graceLeft = context && expiresAt !== undefined ? Math.max(0, expiresAt + context.gracePeriodMs - view.now) : undefined;
  return [
    gauge('softclient4es_license_expiry_timestamp_seconds', 'Expiry (exp) of the license held, in seconds since the epoch.', seconds(expiresAt), 'seconds'),
    gauge('softclient4es_license_grace_remaining_seconds', 'Seconds until the grace period after expiry ends and the server falls back to Community; 0 once it has.', seconds(graceLeft), 'seconds'),
    gauge('softclient4es_license_refresh_last_success_timestamp_seconds', 'When the license was last refreshed successfully, in seconds since the epoch.', seconds(context?.lastRefreshAt), 'seconds'),
    gauge('softclient4es_license_refresh_last_attempt_timestamp_seconds', 'When the last refresh attempt ended, successful or not, in seconds since the epoch.', seconds(view.lastOutcome?.at), 'seconds'),
    gauge('softclient4es_license_refresh_consecutive_failures', 'Refresh attempts that failed in a row since the last success.', sampleOf(context?.failures)),
    refreshRequests(refreshes),
    gauge('softclient4es_license_clock_offset_seconds', "The license server's clock minus ours, from its last answer's Date header.", seconds(view.serverClockOffsetMs), 'seconds'),
    licenseInfo(view),
    gauge('softclient4es_license_degraded', '1 while a paid license has lapsed past its grace period and the server runs as Community.', flag(view.license.degraded)),
    gauge('softclient4es_telemetry_enabled', '1 when usage telemetry is sent with each refresh.', flag(view.config.telemetryEnabled)),
  ];
}
