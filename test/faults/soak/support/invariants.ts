/**
 * The soak's invariants, checked after every step. Each throws an `InvariantViolation` saying what
 * broke and when (ms since T0), so that fast-check's counterexample reads as a bug report.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { BACKOFF_JITTER, EXPIRY_THRESHOLD_MS, FORCED_BACKOFF, UNLICENSED_BACKOFF } from '../../../../machines/schedule.js';
import { LAST_WEEK_MAX_INTERVAL_MS, WEEK_NOTICE_MS } from '../../../../machines/validity.js';
import { readCache } from '../../../e2e/support/harness.js';
import { T0 } from '../../../schedule/support/world.js';
import { LICENSE_ID, OTHER_LICENSE_ID } from './behaviours.js';
import type { FrontExchange } from './front.js';
import type { ArrivalTag, RunningSoak, SoakRun } from './soak-world.js';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

const since = (at: number) => `T0 + ${((at - T0) / 1000).toFixed(3)} s`;

function violated(message: string): never {
  throw new InvariantViolation(message);
}

/** Never more than one request in flight at the server. */
export function checkOneInFlight(maxInFlight: number): void {
  if (maxInFlight > 1) violated(`${maxInFlight} requests were in flight at once`);
}

/** The agent never stops on an internal error. */
export function checkAlive(soak: RunningSoak): void {
  const internal = soak.logs.find((line) => line.msg.includes('internal error'));
  if (internal) violated(`the agent logged: ${internal.msg}`);
  if (soak.agent.status().state === 'stopped') violated('the agent stopped by itself');
}

/**
 * The smallest gap the schedule allows before a request leaving at `at`, from the license the
 * agent held then (the one the previous answer left it with): none yet, the unlicensed backoff
 * (30 s); one within 48 hours of expiry or past it, where forced refreshes run, the forced backoff
 * (1 min); otherwise the regular interval in force (at most 6 hours in the license's last week)
 * less its jitter. Backoffs may come up to 20% early (BACKOFF_JITTER).
 */
export function smallestAllowedGap(run: SoakRun, intervalMs: number, tag: ArrivalTag, at: number): number {
  if (!tag.licensed) return UNLICENSED_BACKOFF.initialMs * (1 - BACKOFF_JITTER);
  if (tag.expiresAt !== null && tag.expiresAt - at <= EXPIRY_THRESHOLD_MS) return FORCED_BACKOFF.initialMs * (1 - BACKOFF_JITTER);
  const lastWeek = tag.expiresAt !== null && tag.expiresAt - at <= WEEK_NOTICE_MS;
  return (lastWeek ? Math.min(intervalMs, LAST_WEEK_MAX_INTERVAL_MS) : intervalMs) * (1 - run.jitter);
}

/**
 * Between two requests, never less than the smallest allowed backoff; after a `Retry-After`, never
 * sooner than it says (capped at the regular interval), counted from when the answer came.
 */
export function checkGaps(run: SoakRun, intervalMs: number, exchanges: readonly FrontExchange[]): void {
  for (let i = 1; i < exchanges.length; i++) {
    const previous = exchanges[i - 1] as FrontExchange;
    const next = exchanges[i] as FrontExchange;
    const tag = next.tag as ArrivalTag;
    const smallest = smallestAllowedGap(run, intervalMs, tag, next.at);
    const gap = next.at - previous.at;
    if (gap < smallest) {
      violated(
        `request ${i + 1} (${tag.state}, ${tag.licensed ? 'licensed' : 'unlicensed'}) left at ${since(next.at)}, ` +
          `${gap} ms after request ${i} (answered ${previous.status}), below the smallest allowed ${smallest} ms`,
      );
    }
    if (previous.retryAfter !== undefined && previous.completedAt !== undefined) {
      const wait = Math.min(Number(previous.retryAfter) * 1000, intervalMs);
      if (next.at - previous.completedAt < wait) {
        violated(`request ${i + 1} left ${next.at - previous.completedAt} ms after a Retry-After of ${previous.retryAfter} s (honoured up to ${wait} ms)`);
      }
    }
  }
}

/** Telemetry only when enabled; the counters in successive bodies never go down nor run ahead. */
export function checkBodies(run: SoakRun, exchanges: readonly FrontExchange[], recorded: { queries: number; joins: number }): void {
  let queries = 0;
  let joins = 0;
  exchanges.forEach((exchange, index) => {
    const body = exchange.body as { telemetry?: { queries_total: number; joins_total: number } } | undefined;
    if (!body) violated(`request ${index + 1} had no JSON body`);
    if (!run.telemetry) {
      if ('telemetry' in body) violated(`request ${index + 1} carried telemetry while it is disabled`);
      return;
    }
    const telemetry = body.telemetry;
    if (!telemetry) violated(`request ${index + 1} carried no telemetry while it is enabled`);
    if (telemetry.queries_total < queries || telemetry.joins_total < joins) {
      violated(`counters went down at request ${index + 1}: queries ${queries} → ${telemetry.queries_total}, joins ${joins} → ${telemetry.joins_total}`);
    }
    if (telemetry.queries_total > recorded.queries || telemetry.joins_total > recorded.joins) {
      violated(`request ${index + 1} reported more usage than was recorded`);
    }
    queries = telemetry.queries_total;
    joins = telemetry.joins_total;
  });
}

const iso = (seconds: number | undefined) => (seconds === undefined ? null : new Date(seconds * 1000).toISOString());

/**
 * The license in force (status) and the cache file agree, and the cached JWT verifies against the
 * issuer's JWKS and belongs to the license. It is verified as of its own `iat`: a 204 ("no change")
 * rightly keeps a license that may since have expired.
 */
export async function checkAdoptedLicense(run: SoakRun, soak: RunningSoak, jwks: JSONWebKeySet): Promise<void> {
  const status = soak.agent.status();
  const allowed = run.mode === 'static-jwt' ? [LICENSE_ID] : [LICENSE_ID, OTHER_LICENSE_ID];
  if (status.licenseId === null) {
    if (run.mode === 'static-jwt') violated('the static license was dropped');
    return;
  }
  if (!allowed.includes(status.licenseId)) violated(`the agent holds license "${status.licenseId}", not one of ${allowed.join(', ')}`);
  // The cache is written asynchronously (queued atomic writes): give it a moment to catch up.
  const deadline = performance.now() + 5_000;
  for (;;) {
    const cache = await readCache(soak.stateDir);
    if (cache === undefined && run.mode === 'static-jwt' && soak.configured !== undefined) {
      const claims = decodeJwt(soak.configured);
      if (status.expiresAt === iso(claims.exp)) return;
    }
    if (cache) {
      const claims = decodeJwt(cache.jwt);
      if (cache.license_id === status.licenseId && claims.sub === status.licenseId && iso(claims.exp) === status.expiresAt) {
        await verifyAt(cache.jwt, jwks, (claims.iat ?? 0) * 1000);
        return;
      }
    }
    if (performance.now() > deadline) {
      violated(`status() says ${status.licenseId} until ${status.expiresAt} but the cache holds ${cache ? `${cache.license_id} until ${iso(decodeJwt(cache.jwt).exp)}` : 'nothing'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function verifyAt(jwt: string, jwks: JSONWebKeySet, at: number): Promise<void> {
  try {
    await jwtVerify(jwt, createLocalJWKSet(jwks), { algorithms: ['EdDSA'], currentDate: new Date(at), clockTolerance: 300 });
  } catch (error) {
    violated(`the cached license does not verify (as of ${since(at)}): ${(error as Error).message}`);
  }
}
