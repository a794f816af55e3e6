/**
 * `createLicenseAgent`: options in, a running license agent out. This module wires the pieces: it
 * validates the options, reads the state directory, provides the effects into the statechart,
 * starts the actor on the agent's clock, and keeps the effective license ready for synchronous,
 * allocation-free reads by the server.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import {
  createLicenseAgentMachine,
  forcedRefreshAt,
  hasRefreshPath,
  type AgentContext,
  type AgentMode,
  type LicenseAgentMachine,
} from '../machines/license-agent.machine.js';
import { createWallClock } from './clock.js';
import { describeError, LicenseError } from './errors.js';
import { QUOTA_NAMES, type QuotaName, type Tier, type VerifiedLicense } from './license/claims.js';
import { COMMUNITY_LICENSE, effectiveLicense, featureSet, type EffectiveLicense } from './license/effective.js';
import { DEFAULT_TRUSTED_KEYS } from './license/keys.js';
import { createVerifier } from './license/verify.js';
import { createAgentLogger } from './log.js';
import { ApiKeyClient } from './net/api-key-client.js';
import { createHttpClient, type HttpClient } from './net/http.js';
import { loadConfig, mergeOptions, resolveConfig, type AgentClock, type AgentConfig, type LicenseAgentOptions } from './options.js';
import { createFetchLicense, createLogRefreshFailure, createPersistLicense } from './refresh.js';
import { prepareStartup, type StartupResult } from './startup.js';
import type { UsageCounters } from './telemetry/counters.js';
import { countersOf, createTelemetryActor, reportUsage, type TelemetryActor } from './telemetry/telemetry-actor.js';
import { formatDuration } from './duration.js';

/** The refresh region's states, as `status().state` reports them. */
export type RefreshState = 'idle' | 'offline' | 'scheduled' | 'refreshing' | 'forcedRefresh' | 'degradedWarning' | 'stopped';

export interface AgentStatus {
  readonly mode: AgentMode;
  readonly state: RefreshState | 'created';
  readonly tier: Tier;
  readonly licenseId: string | null;
  readonly expiresAt: string | null;
  readonly instanceId: string | null;
  readonly lastRefresh: string | null;
  readonly nextRefreshAt: string | null;
  readonly refreshEnabled: boolean;
  readonly telemetryEnabled: boolean;
  readonly stateDir: string | null;
  readonly lastError: string | null;
}

export interface RefreshResult {
  readonly previousTier: Tier;
  readonly newTier: Tier;
  readonly status: 'refreshed' | 'failed';
  readonly message: string;
}

export interface LicenseAgentEvents {
  /** The effective license's terms changed: an upgrade, a downgrade, a new license. */
  licenseChanged: [license: EffectiveLicense, previous: EffectiveLicense];
  /** The refresh region moved to another state (`scheduled`, `refreshing`, ...). */
  stateChanged: [state: RefreshState, previous: RefreshState | null];
}

const MIN_SENSIBLE_INTERVAL_MS = 60_000;

/** Same tier, features, quotas and standing: only the expiry (or nothing) moved. */
function sameTerms(a: EffectiveLicense, b: EffectiveLicense): boolean {
  return a.licenseId === b.licenseId && a.tier === b.tier && a.trial === b.trial && a.platform === b.platform
    && a.degraded === b.degraded && a.grace === b.grace
    && a.features.length === b.features.length && a.features.every((f, i) => f === b.features[i])
    && QUOTA_NAMES.every((name) => a.quotas[name] === b.quotas[name]);
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/**
 * The license agent a server embeds. Create it with {@link createLicenseAgent}.
 */
export class LicenseAgent extends EventEmitter<LicenseAgentEvents> {
  readonly #config: AgentConfig;
  readonly #env: Record<string, string | undefined>;
  readonly #log: Logger;
  readonly #clock: AgentClock;
  readonly #random: () => number;
  readonly #telemetryActor: TelemetryActor;
  /** The server's recording API; writes go straight into the telemetry actor's counters. */
  readonly telemetry: UsageCounters;
  #startup: StartupResult | undefined;
  #actor: Actor<LicenseAgentMachine> | undefined;
  #http: HttpClient | undefined;
  #apiKeyClient: ApiKeyClient | undefined;
  #startedAt = 0;
  #license: EffectiveLicense = COMMUNITY_LICENSE;
  #licenseSource: VerifiedLicense | undefined;
  #features: ReadonlySet<string> = featureSet(COMMUNITY_LICENSE);
  #stopped = false;

  constructor(options: LicenseAgentOptions) {
    super();
    this.#env = options.env ?? process.env;
    const merged = mergeOptions(loadConfig(this.#env), options);
    this.#config = resolveConfig(merged, this.#env);
    this.#log = createAgentLogger(options.logger);
    this.#clock = options.clock ?? createWallClock();
    this.#random = options.random ?? Math.random;
    this.#telemetryActor = createTelemetryActor();
    this.telemetry = countersOf(this.#telemetryActor);
  }

  /** Resolves once the initial license is known. Never throws for license or network trouble. */
  async start(): Promise<void> {
    if (this.#actor) return;
    const config = this.#config;
    const verify = createVerifier(config.trustedKeys ?? DEFAULT_TRUSTED_KEYS);
    if (config.refresh.intervalMs < MIN_SENSIBLE_INTERVAL_MS) {
      this.#log.warn({ intervalMs: config.refresh.intervalMs }, `refresh interval of ${formatDuration(config.refresh.intervalMs)} is under 1 minute: meant for tests and demos only`);
    }
    this.#startedAt = this.#clock.now();
    const startup = await prepareStartup({ config, env: this.#env, log: this.#log, verify, now: this.#startedAt });
    this.#startup = startup;
    this.#telemetryActor.start();

    const machine = createLicenseAgentMachine({ now: () => this.#clock.now(), random: this.#random }).provide({
      actors: {
        fetchLicense: createFetchLicense({
          config,
          log: this.#log,
          verify,
          now: () => this.#clock.now(),
          apiKeyClient: () => this.#getApiKeyClient(),
          http: () => this.#getHttp(),
          bodyFacts: () => ({
            instanceId: startup.instanceId,
            version: config.version,
            uptimeMs: this.#clock.now() - this.#startedAt,
            usage: config.telemetryEnabled ? reportUsage(this.#telemetryActor) : undefined,
          }),
        }),
      },
      actions: {
        persistLicense: createPersistLicense(startup.cache, startup.keyFingerprint),
        logRefreshFailure: createLogRefreshFailure(this.#log),
      },
    });
    const actor = createActor(machine, { input: startup.input, clock: this.#clock });
    this.#actor = actor;
    this.#adopt(actor.getSnapshot().context);
    let previousState: RefreshState | undefined;
    actor.subscribe({
      next: (snapshot) => {
        this.#adopt(snapshot.context);
        const state = this.#refreshState(snapshot);
        if (state !== previousState) {
          this.#log.debug({ from: previousState ?? null, to: state }, `license agent ${state}`);
          const from = previousState ?? null;
          previousState = state;
          this.emit('stateChanged', state, from);
        }
      },
      error: (error) => this.#log.error({ err: { message: describeError(error) } }, 'license agent stopped on an internal error'),
    });
    actor.start();
    this.#adopt(actor.getSnapshot().context);
    this.#log.info(
      { mode: startup.input.mode, licenseId: this.#license.licenseId, tier: this.#license.tier, instanceId: startup.instanceId },
      `license agent started in ${startup.input.mode} mode`,
    );
    if (startup.input.awaitingFirstLicense) await this.#waitForAttempt(0);
  }

  /** The effective license: a frozen object, replaced on change, never recomputed per call. */
  license(): EffectiveLicense {
    return this.#license;
  }

  hasFeature(name: string): boolean {
    return this.#features.has(name);
  }

  /** A quota of the effective license: a number, or `null` for unlimited. */
  quota(name: QuotaName): number | null {
    return this.#license.quotas[name];
  }

  status(): AgentStatus {
    const snapshot = this.#actor?.getSnapshot();
    const context = snapshot?.context;
    const license = this.#license;
    const state = snapshot ? this.#refreshState(snapshot) : 'created';
    const waiting = state === 'scheduled' || state === 'degradedWarning';
    const outcome = context?.lastOutcome;
    return {
      mode: context?.mode ?? this.#startup?.input.mode ?? (this.#config.apiKey ? 'api-key' : this.#config.licenseKey ? 'static-jwt' : 'community'),
      state,
      tier: license.tier,
      licenseId: context?.license?.claims.sub ?? null,
      expiresAt: iso(context?.license?.claims.exp === undefined ? undefined : context.license.claims.exp * 1000),
      instanceId: this.#startup?.instanceId ?? null,
      lastRefresh: iso(context?.lastRefreshAt),
      nextRefreshAt: waiting && context ? iso(Math.min(context.nextRefreshAt, forcedRefreshAt(context))) : null,
      refreshEnabled: this.#config.refresh.enabled,
      telemetryEnabled: this.#config.telemetryEnabled,
      stateDir: this.#startup?.stateDir ?? null,
      lastError: outcome && !outcome.ok ? describeError(outcome.error) : null,
    };
  }

  /** Like REFRESH LICENSE: one refresh now, whatever the schedule, and what came of it. */
  async refreshNow(): Promise<RefreshResult> {
    const previousTier = this.#license.tier;
    const result = (status: RefreshResult['status'], message: string): RefreshResult => ({
      previousTier,
      newTier: this.#license.tier,
      status,
      message,
    });
    const actor = this.#actor;
    if (!actor || this.#stopped) return result('failed', 'the license agent is not running');
    const context = actor.getSnapshot().context;
    if (!hasRefreshPath(context)) {
      return result('failed', context.mode === 'community' ? 'no license configured: nothing to refresh' : 'this license has no refresh_url: it cannot be refreshed');
    }
    const before = context.attempts;
    // A refresh already in flight ignores the event and answers for this request too.
    actor.send({ type: 'refresh.now' });
    const outcome = await this.#waitForAttempt(before);
    if (!outcome) return result('failed', 'the license agent stopped before the refresh finished');
    if (outcome.ok) return result('refreshed', `license refreshed: tier ${this.#license.tier}`);
    return result('failed', describeError(outcome.error));
  }

  /** Clears every timer, aborts any request in flight and flushes the cache: the process can exit. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const actor = this.#actor;
    if (actor) {
      actor.send({ type: 'agent.stop' });
      actor.stop();
    }
    this.#telemetryActor.stop();
    await this.#startup?.cache?.flush();
    await this.#http?.close();
    this.#log.info('license agent stopped');
  }

  #refreshState(snapshot: SnapshotFrom<LicenseAgentMachine>): RefreshState {
    const value = snapshot.value as { refresh: RefreshState };
    return value.refresh;
  }

  /** Resolves with the outcome of the first attempt numbered after `attempts`, or `undefined` on stop. */
  #waitForAttempt(attempts: number) {
    const actor = this.#actor as Actor<LicenseAgentMachine>;
    return new Promise<AgentContext['lastOutcome']>((resolve) => {
      const check = () => {
        const snapshot = actor.getSnapshot();
        if (snapshot.context.attempts > attempts) return resolve(snapshot.context.lastOutcome), true;
        if (snapshot.status !== 'active' || this.#refreshState(snapshot) === 'stopped') return resolve(undefined), true;
        return false;
      };
      if (check()) return;
      const subscription = actor.subscribe({
        next: () => check() && subscription.unsubscribe(),
        complete: () => (resolve(undefined), subscription.unsubscribe()),
        error: () => (resolve(undefined), subscription.unsubscribe()),
      });
    });
  }

  /**
   * Recomputes the effective license when the license in the machine changed. A routine refresh
   * that only moves the expiry is logged, not announced: `licenseChanged` means the terms changed.
   */
  #adopt(context: AgentContext): void {
    if (context.license === this.#licenseSource) return;
    this.#licenseSource = context.license;
    const next = effectiveLicense(context.license, this.#clock.now());
    const previous = this.#license;
    this.#license = next;
    this.#features = featureSet(next);
    if (sameTerms(next, previous)) {
      if (this.#actor) this.#log.info({ licenseId: next.licenseId, expiresAt: next.expiresAt }, 'license renewed');
      return;
    }
    if (this.#actor) {
      this.#log.info({ licenseId: next.licenseId, tier: next.tier, expiresAt: next.expiresAt, previousTier: previous.tier }, `license in force: ${next.tier}`);
    }
    this.emit('licenseChanged', next, previous);
  }

  #getHttp(): HttpClient {
    this.#http ??= createHttpClient(this.#config);
    return this.#http;
  }

  #getApiKeyClient(): ApiKeyClient {
    this.#apiKeyClient ??= new ApiKeyClient({ serverUrl: this.#config.serverUrl, http: this.#getHttp(), now: () => this.#clock.now() });
    return this.#apiKeyClient;
  }
}

/**
 * Creates a license agent. Options are validated at once: bad configuration throws a
 * `LicenseConfigError` naming the option. Environment variables (see `loadConfig`) fill in what the
 * options leave out.
 *
 * @example
 * const agent = createLicenseAgent({ version: '1.2.3', apiKey: process.env.SOFTCLIENT4ES_API_KEY });
 * await agent.start();
 * agent.telemetry.recordQuery();
 * await agent.stop();
 */
export function createLicenseAgent(options: LicenseAgentOptions): LicenseAgent {
  return new LicenseAgent(options);
}

export { LicenseError };
