/**
 * The log lines of the license's life, escalating as expiry nears so that a failing refresh is never
 * silent: `info` a month before expiry, `warn` every day of the last week, `error` under 48 hours,
 * `warn` every day of grace, `error` on degradation. Each names the expiry instant, the end of
 * grace, and what the server will lose; the grace lines say it in SoftClient4ES's own words, so an
 * operator who knows its log finds the same line, with the facts in the structured fields.
 */
import type { Logger } from 'pino';
import type { AgentContext, ExpiryNoticeStage } from '../../machines/context.js';
import { daysExpired, expiresAtMs, graceDaysRemaining, isEarlyGrace } from '../../machines/validity.js';
import { hasRefreshPath } from '../../machines/refresh-policy.js';
import { formatDuration } from '../config/duration.js';
import { isoInstant } from '../instant.js';
import type { LicenseClaims } from '../license/claims.js';

function iso(ms: number): string {
  return isoInstant(ms) ?? 'never';
}

/** What the server loses when this license lapses: its tier, features and quotas. */
export function lossSummary(claims: LicenseClaims): string {
  const features = claims.features.length > 0 ? `features ${claims.features.join(', ')}` : 'no extra features';
  return `the ${claims.tier} tier (${features}) and its quotas fall back to Community`;
}

function recovery(context: AgentContext): string {
  return hasRefreshPath(context)
    ? 'the agent keeps trying to refresh it; renew the license or run `softclient4es-license refresh`'
    : 'this license has no refresh path: install a renewed license key';
}

const NOTICE_LEVEL = { month: 'info', week: 'warn', expiringSoon: 'error' } as const;

/** Notices repeated daily while their stage lasts; the others are said once per license. */
const DAILY: ReadonlySet<string> = new Set(['week', 'grace']);
const DAY_MS = 86_400_000;
const RENEWAL_PORTAL = 'https://portal.softclient4es.com';

/** SoftClient4ES's grace line: early grace points at the portal, mid grace counts down to Community. */
export function graceMessage(stage: 'early' | 'mid', daysExpired: number, graceDaysRemaining: number): string {
  const expired = `License expired ${daysExpired} days ago.`;
  return stage === 'early'
    ? `${expired} Renew at ${RENEWAL_PORTAL}`
    : `${expired} Service will degrade to Community in ${graceDaysRemaining} days.`;
}

/** The facts every notice names; `undefined` without a license whose expiry can be told. */
function licenseFacts(context: AgentContext) {
  const claims = context.license?.claims;
  const expiresAt = claims && expiresAtMs(claims);
  if (!claims || expiresAt === undefined) return undefined;
  const graceEndsAt = expiresAt + context.gracePeriodMs;
  return {
    claims,
    expiresAt,
    graceEndsAt,
    fields: { licenseId: claims.sub, tier: claims.tier, expiresAt: iso(expiresAt), graceEndsAt: iso(graceEndsAt) },
  };
}

type LicenseFacts = NonNullable<ReturnType<typeof licenseFacts>>;

/**
 * A memory of when each notice was last said, per stage and license expiry: its function answers
 * whether a notice is due now, and records it when it is. The statechart re-enters a stage whenever
 * it re-checks the clock (a wake, a refresh); this keeps an operator's log to one notice per stage,
 * and one a day for the daily ones.
 */
function createNoticeMemory(now: () => number): (stage: string, expiresAt: number) => boolean {
  const said = new Map<string, { readonly expiresAt: number; readonly at: number }>();
  return function firstInItsDay(stage, expiresAt) {
    // One entry per stage, not per license: a daily refresh brings a new expiry every day, and a
    // map keyed on it would grow for as long as the server runs.
    const last = said.get(stage);
    const at = now();
    if (last !== undefined && last.expiresAt === expiresAt && (!DAILY.has(stage) || at - last.at < DAY_MS)) return false;
    said.set(stage, { expiresAt, at });
    return true;
  };
}

function expiryNoticeMessage(known: LicenseFacts, context: AgentContext, stage: ExpiryNoticeStage, at: number): string {
  const left = formatDuration(known.expiresAt - at);
  const message = `license ${known.claims.sub} expires at ${iso(known.expiresAt)} (in ${left}); grace until ${iso(known.graceEndsAt)}, then ${lossSummary(known.claims)}`;
  return stage === 'month' ? message : `${message}; ${recovery(context)}`;
}

function graceNotice(known: LicenseFacts, gracePeriodMs: number, at: number) {
  const expired = daysExpired(known.expiresAt, at);
  const remaining = graceDaysRemaining(known.expiresAt, gracePeriodMs, at);
  const stage = isEarlyGrace(known.expiresAt, gracePeriodMs, at) ? 'early' : 'mid';
  return {
    fields: { ...known.fields, grace: stage, daysExpired: expired, graceDaysRemaining: remaining },
    message: graceMessage(stage, expired, remaining),
  };
}

function degradedMessage(known: LicenseFacts, context: AgentContext): string {
  return `license ${known.claims.sub} expired at ${iso(known.expiresAt)} and its grace period ended at ${iso(known.graceEndsAt)}: running as Community; ${recovery(context)}; the paid tier comes back as soon as a refresh succeeds`;
}

/** The validity region's log actions: `logExpiryNotice`, `logGrace` and `logDegraded`. */
export function createValidityLogs(log: Logger, now: () => number) {
  const firstInItsDay = createNoticeMemory(now);
  return {
    logExpiryNotice({ context }: { context: AgentContext }, params: { stage: ExpiryNoticeStage }): void {
      const level = NOTICE_LEVEL[params.stage];
      // No notice to build (dates, durations, the loss summary) for a level the logger drops.
      if (!log.isLevelEnabled(level)) return;
      const known = licenseFacts(context);
      if (!known || !firstInItsDay(params.stage, known.expiresAt)) return;
      log[level](known.fields, expiryNoticeMessage(known, context, params.stage, now()));
    },

    logGrace({ context }: { context: AgentContext }): void {
      if (!log.isLevelEnabled('warn')) return;
      const known = licenseFacts(context);
      if (!known || !firstInItsDay('grace', known.expiresAt)) return;
      const { fields, message } = graceNotice(known, context.gracePeriodMs, now());
      log.warn(fields, message);
    },

    logDegraded({ context }: { context: AgentContext }): void {
      if (!log.isLevelEnabled('error')) return;
      const known = licenseFacts(context);
      if (!known || !firstInItsDay('degraded', known.expiresAt)) return;
      log.error({ ...known.fields, degraded: true }, degradedMessage(known, context));
    },
  };
}
