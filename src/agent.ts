/**
 * `createLicenseAgent`: options in, a running license agent out. This module wires the pieces: it
 * validates the options, reads the state directory, provides the effects into the statechart,
 * starts the actor on the agent's clock, and keeps the effective license ready for synchronous,
 * allocation-free reads by the server.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SnapshotFrom } from 'xstate';
import type { AgentContext, AgentMode } from '../machines/context.js';
import type { LicenseAgentMachine } from '../machines/license-agent.machine.js';
import { createAgentActor, type AgentActor, type AgentEffects, type FetchLicense } from './agent-machine.js';
import { hasRefreshPath } from '../machines/refresh-policy.js';
import { ClockHealth } from './clock-health.js';
import { createWallClock } from './clock.js';
import { formatDuration } from './duration.js';
import { describeError, LicenseConfigError, LicenseInternalError } from './errors.js';
import { QUOTA_NAMES, type QuotaName, type Tier } from './license/claims.js';
import {
  COMMUNITY_LICENSE,
  effectiveLicense,
  featureSet,
  type EffectiveLicense,
  type GraceStage,
  type ValidityStage,
} from './license/effective.js';
import { createVerifier, type LicenseVerifier } from './license/verify.js';
import { publishRefresh, publishState, subscribeUsage } from './channels.js';
import type { AgentInspector } from './inspector.js';
import { createAgentLogger, errorFields } from './log.js';
import { ApiKeyClient } from './net/api-key-client.js';
import { createHttpClient, type HttpClient } from './net/http.js';
import { loadConfig, mergeOptions, resolveConfig, type AgentClock, type AgentConfig, type LicenseAgentOptions } from './options.js';
import { createLogRefreshFailure, createPersistLicense } from './refresh.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';
import { prepareStartup, resolveMode, type StartupResult } from './startup.js';
import { destinationHost } from './state/sent-ledger.js';
import {
  buildStatus,
  networkNotice,
  refreshLicenseRow,
  showLicenseRow,
  type AgentStatus,
  type RefreshLicenseRow,
  type RefreshState,
  type ShowLicenseRow,
} from './status.js';
import { buildRefreshRequestBody, buildTokenRequestBody, type BodyFacts } from './telemetry/body.js';
import type { UsageCounters } from './telemetry/counters.js';
import { countersOf, createTelemetryActor, reportUsage, type TelemetryActor } from './telemetry/telemetry-actor.js';
import { createValidityLogs } from './validity-log.js';
import { startWakeWatchdog } from './wake-watchdog.js';

export type { AgentStatus, RefreshLicenseRow, RefreshState, ShowLicenseRow } from './status.js';

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
  /** The effective license's terms changed: an upgrade, a degradation, a restoration. */
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

const TIER_RANK: Readonly<Record<Tier, number>> = { Community: 0, Pro: 1, Enterprise: 2 };

/** The log line of a change of terms, in SoftClient4ES's words. */
function tierChange(previous: EffectiveLicense, next: EffectiveLicense): string {
  if (previous.degraded && !next.degraded && next.tier !== 'Community') return `license restored to ${next.tier}`;
  const [was, now] = [TIER_RANK[previous.tier], TIER_RANK[next.tier]];
  if (now > was) return `license upgraded from ${previous.tier} to ${next.tier}`;
  if (now < was) return `license downgraded from ${previous.tier} to ${next.tier}`;
  return `license terms changed: ${next.tier}`;
}

type Snapshot = SnapshotFrom<LicenseAgentMachine>;

function refreshStateOf(snapshot: Snapshot): RefreshState {
  return (snapshot.value as { refresh: RefreshState }).refresh;
}

/**
 * The validity region's stage and grace part; `checking` never lasts, so it maps to `valid`, as does
 * `stopped` (the agent keeps the stage it saw last, see `#stage`).
 */
function validityOf(snapshot: Snapshot | undefined): { stage: ValidityStage; grace: GraceStage } {
  const value = (snapshot?.value as { validity?: unknown } | undefined)?.validity;
  if (value === 'expiringSoon' || value === 'degraded') return { stage: value, grace: 'none' };
  if (typeof value === 'object' && value !== null && 'grace' in value) {
    return { stage: 'grace', grace: (value as { grace: 'early' | 'mid' }).grace };
  }
  return { stage: 'valid', grace: 'none' };
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
  readonly #watchClock: boolean;
  readonly #telemetryActor: TelemetryActor;
  /** The server's recording API; writes go straight into the telemetry actor's counters. */
  readonly telemetry: UsageCounters;
  #startup: StartupResult | undefined;
  #actor: AgentActor | undefined;
  #http: HttpClient | undefined;
  #apiKeyClient: ApiKeyClient | undefined;
  #stopWatchdog: (() => void) | undefined;
  #inspector: AgentInspector | undefined;
  #unsubscribeUsage: (() => void) | undefined;
  #coordinator: RefreshCoordinator | undefined;
  #fetch: Promise<FetchLicense> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  #startedAt = 0;
  #license: EffectiveLicense = COMMUNITY_LICENSE;
  #licenseKey: unknown;
  #features: Readonly<Record<string, true>> = featureSet(COMMUNITY_LICENSE);
  #stopped = false;
  #starting: Promise<void> | undefined;
  /** Settles once start() has read the state dir and either started the actor or seen a stop. */
  #prepared: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #verify: LicenseVerifier;
  readonly #clockHealth: ClockHealth;

  constructor(options: LicenseAgentOptions) {
    super();
    this.#env = options.env ?? process.env;
    const merged = mergeOptions(loadConfig(this.#env), options);
    this.#config = resolveConfig(merged, this.#env);
    this.#log = createAgentLogger(options.logger);
    this.#clock = options.clock ?? createWallClock();
    this.#clockHealth = new ClockHealth(this.#log, () => this.#clock.now());
    this.#random = options.random ?? Math.random;
    // A simulated clock is moved by its test, which sends `clock.wake` itself when it simulates a suspend.
    this.#watchClock = options.clock === undefined;
    this.#telemetryActor = createTelemetryActor();
    this.telemetry = countersOf(this.#telemetryActor);
    try {
      this.#verify = createVerifier(this.#config.trustedKeys, this.#config.issuer, this.#config.refreshOrigins);
    } catch (error) {
      throw new LicenseConfigError('trustedKeys', `is not a usable JWKS (${describeError(error)})`, { cause: error });
    }
  }

  /**
   * Resolves once the initial license is known. Never throws for license or network trouble.
   * Calling it again returns the same start; calling it after `stop()` does nothing.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) return;
    const config = this.#config;
    const verify = this.#verify;
    if (config.refresh.intervalMs < MIN_SENSIBLE_INTERVAL_MS) {
      this.#log.warn({ intervalMs: config.refresh.intervalMs }, `refresh interval of ${formatDuration(config.refresh.intervalMs)} is under 1 minute: meant for tests and demos only`);
    }
    this.#startedAt = this.#clock.now();
    const preparing = prepareStartup({ config, env: this.#env, log: this.#log, verify, now: this.#startedAt });
    const inspecting = this.#startInspector();
    this.#prepared = Promise.all([preparing, inspecting]).then(() => undefined, () => undefined);
    const startup = await preparing;
    await inspecting;
    this.#startup = startup;
    // stop() may have come while the state dir was read: then nothing must be left running.
    if (this.#stopped) return;
    this.#telemetryActor.start();
    this.#unsubscribeUsage = subscribeUsage(this.telemetry);

    const inspect = this.#inspector ? { inspect: this.#inspector.inspect } : {};
    const time = { now: () => this.#clock.now(), random: this.#random };
    const actor = createAgentActor(this.#createEffects(startup, verify), { input: { ...startup.input, time }, clock: this.#clock, ...inspect });
    this.#actor = actor;
    let previousState: RefreshState | null = null;
    let previousValidity: string | null = null;
    let attempts = 0;
    actor.subscribe({
      next: (snapshot) => this.#guarded('observer', () => {
        this.#adopt(snapshot);
        if (snapshot.context.attempts !== attempts) {
          attempts = snapshot.context.attempts;
          this.#publishOutcome(snapshot.context);
        }
        const validity = JSON.stringify((snapshot.value as { validity: unknown }).validity);
        if (validity !== previousValidity) {
          const from = previousValidity;
          previousValidity = validity;
          publishState(() => ({ region: 'validity', from, to: validity, at: new Date(this.#clock.now()).toISOString() }));
        }
        const state = refreshStateOf(snapshot);
        if (state === previousState) return;
        this.#log.debug({ from: previousState, to: state }, `license agent ${state}`);
        const from = previousState;
        previousState = state;
        publishState(() => ({ region: 'refresh', from, to: state, at: new Date(this.#clock.now()).toISOString() }));
        this.#announce('stateChanged', state, from);
      }),
      // The statechart itself threw (a guard, an assignment): the actor is done, the license stays.
      error: (error) => this.#reportInternalError(error, 'statechart'),
    });
    actor.start();
    this.#adopt(actor.getSnapshot());
    const { context } = actor.getSnapshot();
    this.#log.info(
      { mode: context.mode, licenseId: this.#license.licenseId, tier: this.#license.tier, instanceId: startup.instanceId },
      `license agent started in ${context.mode} mode; ${networkNotice(config, context)}`,
    );
    if (this.#watchClock) {
      this.#stopWatchdog = startWakeWatchdog(this.#clock, (driftMs) => {
        this.#log.info({ driftMs }, 'the wall clock jumped (suspend or clock change); re-checking the license');
        this.notifyClockJump();
      });
    }
    if (startup.input.awaitingFirstLicense && startup.input.networkAllowed) {
      const outcome = await this.#waitForAttempt(0);
      if (outcome && !outcome.ok && this.#license.licenseId === null) {
        this.#log.warn({ err: errorFields(outcome.error) }, 'could not fetch license - falling back to Community mode');
      }
    }
  }

  /** The effective license: a frozen object, replaced on change, never recomputed per call. */
  license(): EffectiveLicense {
    return this.#license;
  }

  hasFeature(name: string): boolean {
    return this.#features[name] === true;
  }

  /** A quota of the effective license: a number, or `null` for unlimited. */
  quota(name: QuotaName): number | null {
    return this.#license.quotas[name];
  }

  status(): AgentStatus {
    const snapshot = this.#actor?.getSnapshot();
    return buildStatus({
      config: this.#config,
      // Before start nothing is verified: the mode the configuration alone points to.
      mode: snapshot?.context.mode ?? resolveMode(this.#config, this.#config.licenseKey ? 'unverified' : undefined),
      state: snapshot ? refreshStateOf(snapshot) : 'created',
      // The stage the license was last seen in: a stopped agent still tells of the license it kept.
      validity: this.#stage,
      context: snapshot?.context,
      license: this.#license,
      instanceId: this.#startup?.instanceId ?? null,
      stateDir: this.#startup?.stateDir ?? null,
      now: this.#clock.now(),
      serverClockOffsetMs: this.#clockHealth.serverOffsetMs,
      clockWarning: this.#clockHealth.warning,
    });
  }

  /** The row of `SHOW LICENSE`. */
  showLicense(): ShowLicenseRow {
    return showLicenseRow(this.#license, this.status());
  }

  /** `REFRESH LICENSE`: runs {@link refreshNow} and returns its row. */
  async refreshLicense(): Promise<RefreshLicenseRow> {
    const previousTier = this.#license.tier;
    if (this.status().mode === 'community') {
      return refreshLicenseRow(previousTier, this.#license, { ok: false, message: 'License refresh is not supported in Community mode' });
    }
    const result = await this.refreshNow();
    return refreshLicenseRow(previousTier, this.#license, { ok: result.status === 'refreshed', message: result.message });
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
    const { context } = actor.getSnapshot();
    if (!context.networkAllowed) return result('failed', 'the agent runs offline: no refresh');
    if (!hasRefreshPath(context)) {
      return result('failed', this.#noRefreshPathReason(context.mode));
    }
    const before = context.attempts;
    // A refresh already in flight ignores the event and answers for this request too.
    actor.send({ type: 'refresh.now' });
    const outcome = await this.#waitForAttempt(before);
    if (!outcome) return result('failed', 'the license agent stopped before the refresh finished');
    if (outcome.ok) return result('refreshed', `license refreshed: tier ${this.#license.tier}`);
    return result('failed', describeError(outcome.error));
  }

  /** The exact body the next refresh would send, and whether telemetry is in it. */
  previewTelemetry(): TelemetryPreview {
    const status = this.status();
    const context = this.#actor?.getSnapshot().context;
    const facts = this.#bodyFacts();
    const body = context?.mode === 'static-jwt' && context.license
      ? buildRefreshRequestBody(context.license.claims.sub, facts)
      : buildTokenRequestBody(facts);
    return { enabled: this.#config.telemetryEnabled, disabledBy: status.telemetryDisabledBy, endpoint: status.endpoint, body };
  }

  /**
   * Tells the agent that the wall clock jumped (the agent notices a suspend by itself; this is for
   * embedders that learn of one first, and for tests): every timer is re-checked against the clock.
   */
  notifyClockJump(): void {
    if (this.#stopped) return;
    this.#clockHealth.checkLicense(this.#actor?.getSnapshot().context.license?.claims.iat);
    this.#actor?.send({ type: 'clock.wake' });
  }

  /** Clears every timer, aborts any request in flight and flushes the cache: the process can exit. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    // A start in progress finishes its disk reads first and starts nothing once it sees the stop;
    // a start already waiting for its first fetch is released by the actor's stop below.
    await Promise.resolve();
    await this.#prepared;
    this.#stopWatchdog?.();
    this.#unsubscribeUsage?.();
    const actor = this.#actor;
    if (actor) {
      actor.send({ type: 'agent.stop' });
      actor.stop();
    }
    // The stop aborted any request in flight; closing the dispatcher also cuts one still connecting
    // (undici finishes a connect before it honours the abort). Then let it settle: release its lock,
    // record what was sent.
    await this.#http?.close();
    await Promise.all(this.#inFlight);
    this.#telemetryActor.stop();
    if (this.#inspector) {
      // The inspector sends each event a macrotask later: let the last ones go before closing.
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.#inspector.stop();
    }
    await Promise.all([this.#startup?.cache?.flush(), this.#startup?.ledger?.flush()]);
    // The refresh lock is released once the cache is written: peers must not wait out its TTL.
    await this.#coordinator?.idle();
    this.#log.info('license agent stopped');
  }

  /** Connects live inspection when the `inspect` option asks for it; a missing package only warns. */
  async #startInspector(): Promise<void> {
    const url = this.#config.inspectUrl;
    if (url === undefined) return;
    try {
      const { startInspector } = await import('./inspector.js');
      this.#inspector = await startInspector(url, [this.#config.apiKey, this.#config.licenseKey], {
        onConnected: (at) => this.#log.info({ url: at }, 'live inspection: sending the statechart (secrets redacted) to the inspector relay'),
        onUnreachable: (at) => this.#log.warn({ url: at }, 'live inspection: the inspector relay cannot be reached; retrying every 5 s'),
      });
    } catch (error) {
      const missing = (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
      const reason = missing ? 'install the optional package @statelyai/inspect' : describeError(error);
      this.#log.warn({ err: errorFields(error) }, `live inspection is off: ${reason}`);
    }
  }

  #createEffects(startup: StartupResult, verify: LicenseVerifier): AgentEffects {
    const now = () => this.#clock.now();
    return {
      fetchLicense: (input, signal) => {
        const work = this.#loadFetch(startup, verify).then((fetch) => {
          // stop() may have come while the module loaded: then no request may start.
          signal.throwIfAborted();
          return fetch(input, signal);
        });
        // stop() waits for a fetch to settle (lock released, ledger written), aborted or not.
        const settled = work.catch(() => undefined);
        this.#inFlight.add(settled);
        void settled.then(() => this.#inFlight.delete(settled));
        return work;
      },
      onEffectError: (error, effect) => this.#reportInternalError(error, `${effect} effect`),
      persistLicense: createPersistLicense(startup.cache, startup.keyFingerprint, () => this.#coordinator),
      logRefreshFailure: createLogRefreshFailure(this.#log, now),
      ...createValidityLogs(this.#log, now),
    };
  }

  /**
   * The fetch and the coordination with peer processes, loaded with the first refresh: a server that
   * starts on a valid cached license does not pay for them at start-up.
   */
  #loadFetch(startup: StartupResult, verify: LicenseVerifier): Promise<FetchLicense> {
    this.#fetch ??= Promise.all([import('./fetch-license.js'), import('./refresh-coordinator.js')]).then(
      ([{ createFetchLicense }, { RefreshCoordinator }]) => {
        const now = () => this.#clock.now();
        const config = this.#config;
        const coordinator = (this.#coordinator = startup.stateDir && startup.cache
          ? new RefreshCoordinator({
              dir: startup.stateDir,
              cache: startup.cache,
              verify,
              keyFingerprint: startup.keyFingerprint,
              log: this.#log,
              lockTtlMs: config.connectTimeoutMs + config.readTimeoutMs + 5_000,
              now,
            })
          : undefined);
        return createFetchLicense({
          config,
          verify,
          now,
          apiKeyClient: () => this.#getApiKeyClient(),
          http: () => this.#getHttp(),
          bodyFacts: () => this.#bodyFacts(),
          coordinator,
          issuerNow: () => this.#clockHealth.serverNow(),
          recordSent: ({ endpoint, url, body, status }) => {
            void startup.ledger?.append({ at: new Date(now()).toISOString(), host: destinationHost(url), endpoint, status, body });
          },
        });
      },
    );
    // A failed load (a damaged install) fails this refresh, not every later one.
    this.#fetch.catch(() => (this.#fetch = undefined));
    return this.#fetch;
  }

  #bodyFacts(): BodyFacts {
    return {
      instanceId: this.#startup?.instanceId ?? '',
      version: this.#config.version,
      uptimeMs: this.#startup ? this.#clock.now() - this.#startedAt : 0,
      usage: this.#config.telemetryEnabled ? reportUsage(this.#telemetryActor) : undefined,
    };
  }

  #noRefreshPathReason(mode: AgentMode): string {
    if (mode !== 'community') return 'this license has no refresh_url: it cannot be refreshed';
    return this.#config.licenseKey ? 'the configured license key does not verify: nothing to refresh' : 'no license configured: nothing to refresh';
  }

  /** Resolves with the outcome of the first attempt numbered after `attempts`, or `undefined` on stop. */
  #waitForAttempt(attempts: number) {
    const actor = this.#actor as AgentActor;
    return new Promise<AgentContext['lastOutcome']>((resolve) => {
      const check = () => {
        const snapshot = actor.getSnapshot();
        if (snapshot.context.attempts > attempts) return resolve(snapshot.context.lastOutcome), true;
        if (snapshot.status !== 'active' || refreshStateOf(snapshot) === 'stopped') return resolve(undefined), true;
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
   * Recomputes the effective license when the license or its validity stage changed. A routine
   * refresh that only moves the expiry is logged, not announced: `licenseChanged` means the terms
   * changed.
   */
  #adopt(snapshot: Snapshot): void {
    const { license } = snapshot.context;
    const { stage, grace } = validityOf(snapshot);
    if (stage === 'valid' && (snapshot.value as { validity?: unknown }).validity === 'stopped') return;
    this.#stage = stage;
    const key = `${stage}/${grace}`;
    if (license === this.#licenseSourceOf() && key === this.#licenseKey) return;
    const next = effectiveLicense(license, stage, grace);
    const previous = this.#license;
    const renewed = license !== this.#licenseSourceOf();
    this.#licenseSource = license;
    this.#licenseKey = key;
    if (renewed) this.#clockHealth.checkLicense(license?.claims.iat);
    this.#license = next;
    this.#features = featureSet(next);
    if (sameTerms(next, previous)) {
      if (renewed && this.#actor?.getSnapshot().status === 'active') {
        this.#log.info({ licenseId: next.licenseId, expiresAt: next.expiresAt }, 'license renewed');
      }
      return;
    }
    const coldStart = !this.#adoptedOnce;
    this.#adoptedOnce = true;
    this.#log.info(
      { licenseId: next.licenseId, tier: next.tier, expiresAt: next.expiresAt, previousTier: previous.tier },
      coldStart ? `license in force: ${next.tier}` : tierChange(previous, next),
    );
    this.#announce('licenseChanged', next, previous);
  }

  /** The validity stage of the license in force, as of the last snapshot before any stop. */
  #stage: ValidityStage = 'valid';

  /** False until the first license is adopted: a cold start is not an upgrade. */
  #adoptedOnce = false;

  #publishOutcome(context: AgentContext): void {
    const outcome = context.lastOutcome;
    if (!outcome) return;
    publishRefresh(() => ({
      ok: outcome.ok,
      forced: outcome.forced,
      at: new Date(outcome.at).toISOString(),
      licenseId: context.license?.claims.sub ?? null,
      tier: this.#license.tier,
      error: outcome.ok ? null : errorFields(outcome.error),
    }));
  }

  /** Runs `work`; a throw is reported as an internal error instead of reaching XState (which rethrows it). */
  #guarded(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#reportInternalError(error, where);
    }
  }

  readonly #internalErrorsSeen = new Set<string>();

  /**
   * A fault of the agent's own, logged once per place and message at `error` with its code, never
   * thrown into the server: the effective license is only replaced once its successor is computed,
   * so the one in force stays.
   */
  #reportInternalError(error: unknown, where: string): void {
    const message = describeError(error);
    const seen = `${where}\n${message}`;
    if (this.#internalErrorsSeen.has(seen)) return;
    this.#internalErrorsSeen.add(seen);
    const fault = new LicenseInternalError(`internal error in the license agent's ${where}: ${message}`, { cause: error });
    const stopped = where === 'statechart' ? 'refreshes stop until the server restarts; ' : '';
    this.#log.error(
      { err: { message: fault.message, code: fault.code }, where, tier: this.#license.tier },
      `license agent internal error (${fault.code}): ${stopped}the license in force (${this.#license.tier}) stays`,
    );
  }

  /** Emits to the server's listeners; one that throws is logged, never allowed to break the agent. */
  #announce<K extends keyof LicenseAgentEvents>(event: K, ...args: LicenseAgentEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: LicenseAgentEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#log.error({ err: { message: describeError(error) }, event }, `a ${event} listener threw; the agent carries on`);
    }
  }

  #licenseSource: unknown;
  #licenseSourceOf(): unknown {
    return this.#licenseSource;
  }

  #getHttp(): HttpClient {
    this.#http ??= createHttpClient({
      ...this.#config,
      now: () => this.#clock.now(),
      onAnswer: (facts) => this.#clockHealth.noteServerAnswer(facts),
    });
    return this.#http;
  }

  #getApiKeyClient(): ApiKeyClient {
    this.#apiKeyClient ??= new ApiKeyClient({
      serverUrl: this.#config.serverUrl,
      http: this.#getHttp(),
      now: () => this.#clock.now(),
      onMessage: (message) => this.#log.info({ serverMessage: message }, `license server: ${message}`),
    });
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
