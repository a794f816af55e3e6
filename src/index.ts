/**
 * softclient4es-license: keeps a SoftClient4ES server's license fresh and sends optional,
 * anonymous usage telemetry with each refresh. Named exports only.
 */
export { createLicenseAgent, LicenseAgent } from './agent/license-agent.js';
export type { RefreshResult, LicenseAgentEvents, TelemetryPreview } from './agent/types.js';
export type { AgentStatus, ShowLicenseRow, RefreshLicenseRow } from './agent/status.js';
export type { AgentMode } from '../machines/context.js';
export type { RefreshState } from './agent/snapshot.js';
export { METRICS_CONTENT_TYPE } from './metrics/exposition.js';
export type { MetricsFormat } from './metrics/exposition.js';
export { registerLicenseMetrics } from './metrics/prom-client.js';
export type { PromClientRegistry, PromClientMetric, PromClientMetricSnapshot, PromClientMetricValue } from './metrics/prom-client.js';
export { ApiKeyClient, TOKEN_PATH } from './net/api-key-client.js';
export { CHANNELS } from './channels.js';
export type { CountMessage, GaugeMessage, StateMessage, RefreshMessage } from './channels.js';
export type { ApiKeyClientOptions, FetchJwtOptions } from './net/api-key-client.js';
export { loadConfig, ENVIRONMENT_VARIABLES } from './config/environment.js';
export { DEFAULT_SERVER_URL } from './config/options.js';
export type { InspectOption, LicenseAgentOptions, RefreshOptions, TelemetryOptions } from './config/options.js';
export type { AgentClock } from './clock.js';
export {
  LicenseError,
  LicenseConfigError,
  LicenseNetworkError,
  LicenseHttpError,
  LicenseResponseError,
  LicenseVerificationError,
  LicenseStateDirError,
  isLicenseError,
} from './errors.js';
export type { LicenseErrorCode } from './errors.js';
export { COMMUNITY_QUOTAS, QUOTA_NAMES, TIERS } from './license/claims.js';
export type { LicenseClaims, Quotas, QuotaName, Tier, VerifiedLicense } from './license/claims.js';
export { COMMUNITY_LICENSE } from './license/effective.js';
export type { EffectiveLicense, GraceStage } from './license/effective.js';
export { DEFAULT_TRUSTED_KEYS } from './license/keys.js';
export type { UsageCounters, UsageSnapshot } from './telemetry/counters.js';
export type { TokenRequestBody, RefreshRequestBody } from './telemetry/body.js';
