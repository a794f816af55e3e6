/** The public shapes of the agent's answers and events. */
import type { EffectiveLicense } from '../license/effective.js';
import type { Tier } from '../license/claims.js';
import type { RefreshState } from './snapshot.js';

export interface RefreshResult {
  readonly previousTier: Tier;
  readonly newTier: Tier;
  readonly status: 'refreshed' | 'failed';
  readonly message: string;
}

/** What the next refresh would send: the `telemetry` command shows it to operators. */
export interface TelemetryPreview {
  readonly enabled: boolean;
  /** The switch that turned telemetry off, or `null`. */
  readonly disabledBy: string | null;
  /** Where the body would go, or `null` when the agent never contacts a server. */
  readonly endpoint: string | null;
  readonly body: object;
}

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
