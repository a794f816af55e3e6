/**
 * Refreshes asked for by someone (`refreshNow()`, SQL's `REFRESH LICENSE`) and the preview of what
 * the next one would send. A request is an event to the statechart; its answer is the outcome the
 * statechart emits when the attempt ends (one already in flight answers for the request too).
 */
import type { AgentContext, AgentMode } from '../../machines/context.js';
import { hasRefreshPath } from '../../machines/refresh-policy.js';
import type { AgentConfig } from '../config/options.js';
import { describeError } from '../errors.js';
import { buildRefreshRequestBody, buildTokenRequestBody, type BodyFacts } from '../telemetry/body.js';
import type { EffectiveLicenseView } from './effective-view.js';
import type { AgentActor } from './machine.js';
import { nextOutcome } from './observer.js';
import { refreshLicenseRow, type AgentStatus, type RefreshLicenseRow } from './status.js';
import type { RefreshResult, TelemetryPreview } from './types.js';

function noRefreshPathReason(mode: AgentMode, config: AgentConfig): string {
  if (mode !== 'community') return 'this license has no refresh_url: it cannot be refreshed';
  return config.licenseKey ? 'the configured license key does not verify: nothing to refresh' : 'no license configured: nothing to refresh';
}

/** One refresh now, whatever the schedule, and what came of it. `actor` is absent unless running. */
export async function refreshNow(actor: AgentActor | undefined, view: EffectiveLicenseView, config: AgentConfig): Promise<RefreshResult> {
  const previousTier = view.license.tier;
  const result = (status: RefreshResult['status'], message: string): RefreshResult => ({
    previousTier,
    newTier: view.license.tier,
    status,
    message,
  });
  if (!actor) return result('failed', 'the license agent is not running');
  const { context } = actor.getSnapshot();
  if (!context.networkAllowed) return result('failed', 'the agent runs offline: no refresh');
  if (!hasRefreshPath(context)) return result('failed', noRefreshPathReason(context.mode, config));
  const answered = nextOutcome(actor);
  // A refresh already in flight ignores the event and answers for this request too.
  actor.send({ type: 'refresh.now' });
  const outcome = await answered;
  if (!outcome) return result('failed', 'the license agent stopped before the refresh finished');
  if (outcome.ok) return result('refreshed', `license refreshed: tier ${view.license.tier}`);
  return result('failed', describeError(outcome.error));
}

/** `REFRESH LICENSE`'s row: Community mode has nothing to refresh, as SoftClient4ES answers. */
export async function refreshLicense(view: EffectiveLicenseView, mode: AgentMode, refresh: () => Promise<RefreshResult>): Promise<RefreshLicenseRow> {
  const previousTier = view.license.tier;
  if (mode === 'community') {
    return refreshLicenseRow(previousTier, view.license, { ok: false, message: 'License refresh is not supported in Community mode' });
  }
  const result = await refresh();
  return refreshLicenseRow(previousTier, view.license, { ok: result.status === 'refreshed', message: result.message });
}

/** The exact body the next refresh would send, and whether telemetry is in it. */
export function previewTelemetry(status: AgentStatus, context: AgentContext | undefined, facts: BodyFacts, enabled: boolean): TelemetryPreview {
  const body = context?.mode === 'static-jwt' && context.license
    ? buildRefreshRequestBody(context.license.claims.sub, facts)
    : buildTokenRequestBody(facts);
  return { enabled, disabledBy: status.telemetryDisabledBy, endpoint: status.endpoint, body };
}
