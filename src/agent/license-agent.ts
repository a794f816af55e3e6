/**
 * `createLicenseAgent`: options in, a running license agent out. The `LicenseAgent` is the facade a
 * server embeds: its lifecycle and its public queries. The work is done by the pieces beside it:
 * the effective license view, the observer of the statechart, the refresh path loaded with the first
 * refresh, clock health, and the report of internal faults.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AgentContext, AgentMode } from '../../machines/context.js';
import { hasRefreshPath } from '../../machines/refresh-policy.js';
import { createAgentActor, type AgentActor, type AgentEffects } from './machine.js';
import { createWallClock, type AgentClock } from '../clock.js';
import { formatDuration } from '../config/duration.js';
import { loadConfig, mergeOptions } from '../config/environment.js';
import type { AgentConfig, LicenseAgentOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { createPersistLicense } from '../effects/persist-license.js';
import { createLogRefreshFailure } from '../effects/refresh-failure-log.js';
import { createValidityLogs } from '../effects/validity-log.js';
import { describeError, LicenseConfigError } from '../errors.js';
import type { AgentInspector } from '../inspector/inspector.js';
import type { QuotaName } from '../license/claims.js';
import type { EffectiveLicense } from '../license/effective.js';
import { createVerifier, type LicenseVerifier } from '../license/verify.js';
import { createAgentLogger, errorFields } from '../log.js';
import { prepareStartup, resolveMode, type StartupResult } from './startup.js';
import { buildStatus, networkNotice, refreshLicenseRow, showLicenseRow, type AgentStatus, type RefreshLicenseRow, type ShowLicenseRow } from './status.js';
import { buildRefreshRequestBody, buildTokenRequestBody, type BodyFacts } from '../telemetry/body.js';
import type { UsageCounters } from '../telemetry/counters.js';
import { countersOf, createTelemetryActor, reportUsage, type TelemetryActor } from '../telemetry/telemetry-actor.js';
import { startWakeWatchdog } from './wake-watchdog.js';
import { ClockHealth } from './clock-health.js';
import { EffectiveLicenseView } from './effective-view.js';
import { InternalErrors } from './internal-errors.js';
import { observeActor, refreshStateOf } from './observer.js';
import { RefreshPath } from './refresh-path.js';
import type { LicenseAgentEvents, RefreshResult, TelemetryPreview } from './types.js';

const MIN_SENSIBLE_INTERVAL_MS = 60_000;

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
  readonly #verify: LicenseVerifier;
  readonly #clockHealth: ClockHealth;
  readonly #errors: InternalErrors;
  readonly #view: EffectiveLicenseView;
  /** The server's recording API; writes go straight into the telemetry actor's counters. */
  readonly telemetry: UsageCounters;
  #startup: StartupResult | undefined;
  #actor: AgentActor | undefined;
  #refreshPath: RefreshPath | undefined;
  #inspector: AgentInspector | undefined;
  #stopWatchdog: (() => void) | undefined;
  #startedAt = 0;
  #stopped = false;
  #starting: Promise<void> | undefined;
  /** Settles once start() has read the state dir and either started the actor or seen a stop. */
  #prepared: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: LicenseAgentOptions) {
    super();
    this.#env = options.env ?? process.env;
    this.#config = resolveConfig(mergeOptions(loadConfig(this.#env), options), this.#env);
    this.#log = createAgentLogger(options.logger);
    this.#clock = options.clock ?? createWallClock();
    this.#random = options.random ?? Math.random;
    // A simulated clock is moved by its test, which sends `clock.wake` itself when it simulates a suspend.
    this.#watchClock = options.clock === undefined;
    this.#clockHealth = new ClockHealth(this.#log, () => this.#clock.now());
    this.#view = new EffectiveLicenseView(this.#log, {
      onLicense: (license) => this.#clockHealth.checkLicense(license?.claims.iat),
      onChange: (next, previous) => this.#announce('licenseChanged', next, previous),
    });
    this.#errors = new InternalErrors(this.#log, () => this.#view.license.tier);
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
    const { refresh } = this.#config;
    if (refresh.intervalMs < MIN_SENSIBLE_INTERVAL_MS) {
      this.#log.warn({ intervalMs: refresh.intervalMs }, `refresh interval of ${formatDuration(refresh.intervalMs)} is under 1 minute: meant for tests and demos only`);
    }
    this.#startedAt = this.#clock.now();
    const preparing = prepareStartup({ config: this.#config, env: this.#env, log: this.#log, verify: this.#verify, now: this.#startedAt });
    const inspecting = this.#startInspector();
    this.#prepared = Promise.all([preparing, inspecting]).then(() => undefined, () => undefined);
    const startup = await preparing;
    await inspecting;
    this.#startup = startup;
    // stop() may have come while the state dir was read: then nothing must be left running.
    if (this.#stopped) return;
    this.#runActor(startup);
    if (startup.input.awaitingFirstLicense && startup.input.networkAllowed) {
      const outcome = await this.#waitForAttempt(0);
      if (outcome && !outcome.ok && this.#view.license.licenseId === null) {
        this.#log.warn({ err: errorFields(outcome.error) }, 'could not fetch license - falling back to Community mode');
      }
    }
  }

  /** Starts the telemetry actor, the statechart with its effects and observer, and the clock watchdog. */
  #runActor(startup: StartupResult): void {
    this.#telemetryActor.start();
    const inspect = this.#inspector ? { inspect: this.#inspector.inspect } : {};
    const time = { now: () => this.#clock.now(), random: this.#random };
    const actor = createAgentActor(this.#createEffects(startup), { input: { ...startup.input, time }, clock: this.#clock, ...inspect });
    this.#actor = actor;
    observeActor(actor, {
      view: this.#view,
      log: this.#log,
      now: () => this.#clock.now(),
      errors: this.#errors,
      onStateChanged: (state, from) => this.#announce('stateChanged', state, from),
    });
    actor.start();
    // The observer saw the first snapshot already; following it again is free and covers a start without one.
    this.#errors.guard('observer', () => this.#view.follow(actor.getSnapshot()));
    const { context } = actor.getSnapshot();
    const license = this.#view.license;
    this.#log.info(
      { mode: context.mode, licenseId: license.licenseId, tier: license.tier, instanceId: startup.instanceId },
      `license agent started in ${context.mode} mode; ${networkNotice(this.#config, context)}`,
    );
    if (this.#watchClock) {
      this.#stopWatchdog = startWakeWatchdog(this.#clock, (driftMs) => {
        this.#log.info({ driftMs }, 'the wall clock jumped (suspend or clock change); re-checking the license');
        this.notifyClockJump();
      });
    }
  }

  /** The effective license: a frozen object, replaced on change, never recomputed per call. */
  license(): EffectiveLicense {
    return this.#view.license;
  }

  hasFeature(name: string): boolean {
    return this.#view.hasFeature(name);
  }

  /** A quota of the effective license: a number, or `null` for unlimited. */
  quota(name: QuotaName): number | null {
    return this.#view.license.quotas[name];
  }

  status(): AgentStatus {
    const snapshot = this.#actor?.getSnapshot();
    return buildStatus({
      config: this.#config,
      // Before start nothing is verified: the mode the configuration alone points to.
      mode: snapshot?.context.mode ?? resolveMode(this.#config, this.#config.licenseKey ? 'unverified' : undefined),
      state: snapshot ? refreshStateOf(snapshot) : 'created',
      // The stage the license was last seen in: a stopped agent still tells of the license it kept.
      validity: this.#view.stage,
      context: snapshot?.context,
      license: this.#view.license,
      instanceId: this.#startup?.instanceId ?? null,
      stateDir: this.#startup?.stateDir ?? null,
      now: this.#clock.now(),
      serverClockOffsetMs: this.#clockHealth.serverOffsetMs,
      clockWarning: this.#clockHealth.warning,
    });
  }

  /** The row of `SHOW LICENSE`. */
  showLicense(): ShowLicenseRow {
    return showLicenseRow(this.#view.license, this.status());
  }

  /** `REFRESH LICENSE`: runs {@link refreshNow} and returns its row. */
  async refreshLicense(): Promise<RefreshLicenseRow> {
    const previousTier = this.#view.license.tier;
    if (this.status().mode === 'community') {
      return refreshLicenseRow(previousTier, this.#view.license, { ok: false, message: 'License refresh is not supported in Community mode' });
    }
    const result = await this.refreshNow();
    return refreshLicenseRow(previousTier, this.#view.license, { ok: result.status === 'refreshed', message: result.message });
  }

  /** Like REFRESH LICENSE: one refresh now, whatever the schedule, and what came of it. */
  async refreshNow(): Promise<RefreshResult> {
    const previousTier = this.#view.license.tier;
    const result = (status: RefreshResult['status'], message: string): RefreshResult => ({
      previousTier,
      newTier: this.#view.license.tier,
      status,
      message,
    });
    const actor = this.#actor;
    if (!actor || this.#stopped) return result('failed', 'the license agent is not running');
    const { context } = actor.getSnapshot();
    if (!context.networkAllowed) return result('failed', 'the agent runs offline: no refresh');
    if (!hasRefreshPath(context)) return result('failed', this.#noRefreshPathReason(context.mode));
    const before = context.attempts;
    // A refresh already in flight ignores the event and answers for this request too.
    actor.send({ type: 'refresh.now' });
    const outcome = await this.#waitForAttempt(before);
    if (!outcome) return result('failed', 'the license agent stopped before the refresh finished');
    if (outcome.ok) return result('refreshed', `license refreshed: tier ${this.#view.license.tier}`);
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
    if (this.#actor) {
      this.#actor.send({ type: 'agent.stop' });
      this.#actor.stop();
    }
    // The stop aborted any request in flight: let it settle (release its lock, record what was sent).
    await this.#refreshPath?.close();
    this.#telemetryActor.stop();
    if (this.#inspector) {
      // The inspector sends each event a macrotask later: let the last ones go before closing.
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.#inspector.stop();
    }
    await Promise.all([this.#startup?.cache?.flush(), this.#startup?.ledger?.flush()]);
    // The refresh lock is released once the cache is written: peers must not wait out its TTL.
    await this.#refreshPath?.coordinator?.idle();
    this.#log.info('license agent stopped');
  }

  /** Connects live inspection when the `inspect` option asks for it; a missing package only warns. */
  async #startInspector(): Promise<void> {
    const url = this.#config.inspectUrl;
    if (url === undefined) return;
    try {
      const { startInspector } = await import('../inspector/inspector.js');
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

  #createEffects(startup: StartupResult): AgentEffects {
    const now = () => this.#clock.now();
    const path = (this.#refreshPath = new RefreshPath({
      config: this.#config,
      startup,
      verify: this.#verify,
      log: this.#log,
      now,
      bodyFacts: () => this.#bodyFacts(),
      onAnswer: (facts) => this.#clockHealth.noteServerAnswer(facts),
      issuerNow: () => this.#clockHealth.serverNow(),
    }));
    return {
      fetchLicense: (input, signal) => path.fetchLicense(input, signal),
      onEffectError: (error, effect) => this.#errors.report(error, `${effect} effect`),
      persistLicense: createPersistLicense(startup.cache, startup.keyFingerprint, () => path.coordinator),
      logRefreshFailure: createLogRefreshFailure(this.#log, now),
      ...createValidityLogs(this.#log, now),
    };
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

  /** Emits to the server's listeners; one that throws is logged, never allowed to break the agent. */
  #announce<K extends keyof LicenseAgentEvents>(event: K, ...args: LicenseAgentEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: LicenseAgentEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#log.error({ err: { message: describeError(error) }, event }, `a ${event} listener threw; the agent carries on`);
    }
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
