/** The public shapes of the agent's answers and events. */
import type { EffectiveLicense } from '../license/effective.js';
import type { Tier } from '../license/claims.js';
import type { RefreshState } from './snapshot.js';

/** What came of {@link LicenseAgent.refreshNow}: REFRESH LICENSE, typed. */
export interface RefreshResult {
  /** The tier in force when the refresh was asked for. */
  readonly previousTier: Tier;
  /** The tier in force once it ended: `previousTier` again when it failed. */
  readonly newTier: Tier;
  /** `'refreshed'` when the server answered with a license (or "no change"), `'failed'` otherwise. */
  readonly status: 'refreshed' | 'failed';
  /** `license refreshed: tier Pro` on success; otherwise why it failed (`the agent runs offline: no refresh`). */
  readonly message: string;
}

/** What the next refresh would send: the `telemetry` command shows it to operators. */
export interface TelemetryPreview {
  /** True when the usage counters are sent with each refresh. */
  readonly enabled: boolean;
  /** The switch that turned telemetry off, or `null`. */
  readonly disabledBy: string | null;
  /** Where the body would go, or `null` when the agent never contacts a server. */
  readonly endpoint: string | null;
  /**
   * The JSON body itself: a {@link RefreshRequestBody} in static-JWT mode, a {@link TokenRequestBody}
   * otherwise; its `telemetry` is there only when `enabled`.
   */
  readonly body: object;
}

/** The agent's events, each with its listener's arguments: `agent.on('licenseChanged', (license, previous) => ...)`. */
export interface LicenseAgentEvents {
  /**
   * The effective license's terms changed: an upgrade, a degradation, a restoration. Also emitted
   * whenever a changed license file puts a new license in force, even when only its expiry moved
   * (a refresh that only moves the expiry is logged as `license renewed`, and not emitted).
   */
  licenseChanged: [license: EffectiveLicense, previous: EffectiveLicense];
  /** The refresh region moved to another state (`scheduled`, `refreshing`, ...). */
  stateChanged: [state: RefreshState, previous: RefreshState | null];
}
