/**
 * The types the statechart shares with its providers: its input, context, events, and what the
 * fetch actor takes and returns. No behaviour here.
 */
import type { VerifiedLicense } from './license.js';

/**
 * How the agent gets its license: `'api-key'` fetches one with the API key from the license server
 * every interval; `'static-jwt'` uses the configured license JWT, refreshed at its `refresh_url` when
 * it has one, never contacting a server otherwise; `'community'` has no license, Community's terms,
 * and no network at all.
 */
export type AgentMode = 'api-key' | 'static-jwt' | 'community';

/** Where time and chance come from: the actor's clock and `Math.random` in production. */
export interface MachineTime {
  now(): number;
  random(): number;
}

/** What the agent knows when it starts: the validated config and what `start()` read from disk. */
export interface AgentInput {
  readonly mode: AgentMode;
  readonly refreshEnabled: boolean;
  /** False for tools that read the state without ever calling the license server. */
  readonly networkAllowed: boolean;
  readonly intervalMs: number;
  readonly jitter: number;
  readonly gracePeriodMs: number;
  /** The best verified license found at start-up (configured or cached), if any. */
  readonly license: VerifiedLicense | undefined;
  /** When that license was last refreshed successfully (from the cache), if known. */
  readonly lastRefreshAt: number | undefined;
  /**
   * API-key mode without a license fetched with this key: the refresh region starts in its
   * first-license phase (fetch at once, back off quickly on failure), whatever a configured static
   * JWT may serve meanwhile. Read once, at start.
   */
  readonly needsFirstLicense: boolean;
  /**
   * Static-JWT mode with an API key configured too: should the configured license lapse past its
   * grace period, the agent falls back to the API key from then on (SoftClient4ES's order: the JWT
   * while it is usable, then the API key). Absent: no fallback.
   */
  readonly apiKeyFallback?: boolean | undefined;
}

/** What came of one refresh attempt: emitted as `refresh.completed` when it ends. */
export interface RefreshOutcome {
  readonly ok: boolean;
  /** Forced by the 48-hour threshold, rather than the regular tick, a retry or a request. */
  readonly forced: boolean;
  /** When the attempt ended, on the machine's clock. */
  readonly at: number;
  /** Why it failed; `undefined` when it succeeded. */
  readonly error: unknown;
}

/** What the statechart tells its agent: `actor.on('refresh.completed', ...)`. */
export type AgentEmitted = { type: 'refresh.completed'; outcome: RefreshOutcome };

/**
 * What the machine is started with: what the agent knows, and its time source. Time travels in the
 * input, not in the definition, so that one machine definition serves every agent in the process.
 */
export interface MachineInput extends AgentInput {
  readonly time: MachineTime;
}

export interface AgentContext extends Omit<MachineInput, 'lastRefreshAt'> {
  readonly lastRefreshAt: number | undefined;
  /** The regular refresh is due at this instant (already jittered). */
  readonly nextRefreshAt: number;
  /** A forced refresh may not run before this instant: it keeps forced refreshes from looping. */
  readonly forcedNotBefore: number;
  /** Consecutive failed attempts; drives the backoff. */
  readonly failures: number;
  /** When the last refresh attempt ended, successful or not; `undefined` before the first. */
  readonly lastAttemptAt: number | undefined;
}

/**
 * `refresh.now`: REFRESH LICENSE. `agent.stop`: the end. `clock.wake`: the wall clock jumped (the
 * process was suspended, or the clock was set): every timer is re-checked against it.
 * `license.replaced`: the configured license was replaced from outside (its license file changed):
 * the license it carries, already verified and within grace, is the configured JWT from now on.
 * `license.adopted` is raised internally when a new license is in force (a refresh brought one, or
 * one replaced it); `license.lapsed` when the license in force has passed its grace period (the
 * refresh region may then change its mode).
 */
export type AgentEvent =
  | { type: 'refresh.now' }
  | { type: 'agent.stop' }
  | { type: 'clock.wake' }
  | { type: 'license.replaced'; license: VerifiedLicense }
  | { type: 'license.adopted' }
  | { type: 'license.lapsed' };

/** The notices of a license's approach to expiry: a month, a week, and under 48 hours before it. */
export type ExpiryNoticeStage = 'month' | 'week' | 'expiringSoon';

/** What the fetch actor gets: enough to pick the endpoint and the token. */
export interface FetchInput {
  readonly mode: AgentMode;
  readonly license: VerifiedLicense | undefined;
  readonly forced: boolean;
  /** Asked for by `refresh.now` (REFRESH LICENSE): go to the server, whatever a peer process did. */
  readonly manual: boolean;
  /** When this agent last refreshed successfully: a peer's newer refresh can be adopted instead. */
  readonly lastRefreshAt: number | undefined;
}

/** The fetch actor's result: a verified new license, or `undefined` when the server said "no change". */
export type FetchOutput = VerifiedLicense | undefined;
