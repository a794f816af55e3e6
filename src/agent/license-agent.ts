/**
 * `createLicenseAgent`: options in, a running license agent out. The `LicenseAgent` is the facade a
 * server embeds: its lifecycle and its public queries. The work is done by the pieces beside it:
 * start-up, the runtime (the statechart with its effects and observer), the effective license view,
 * clock health, and the report of internal faults.
 */
import { EventEmitter } from 'node:events';
import type { LicenseAgentOptions } from '../config/options.js';
import type { AgentInspector } from '../inspector/inspector.js';
import type { QuotaName } from '../license/claims.js';
import type { EffectiveLicense } from '../license/effective.js';
import { linkLicenseMetrics, licenseMetricsText, type MetricsFormat } from '../metrics/agent-metrics.js';
import type { BodyFacts } from '../telemetry/body.js';
import type { UsageCounters } from '../telemetry/counters.js';
import { countersOf, createTelemetryActor, reportUsage, type TelemetryActor } from '../telemetry/telemetry-actor.js';
import { createAgentCore, emitSafely, type AgentCore } from './core.js';
import { connectInspector, disconnectInspector } from './inspection.js';
import { previewTelemetry, refreshLicense, refreshNow } from './refresh-request.js';
import { AgentRuntime, statusView } from './runtime.js';
import { prepareStartup, type StartupResult } from './startup.js';
import { buildStatus, showLicenseRow, type AgentStatus, type RefreshLicenseRow, type ShowLicenseRow } from './status.js';
import type { LicenseAgentEvents, RefreshResult, TelemetryPreview } from './types.js';

/**
 * The license agent a server embeds. Create it with {@link createLicenseAgent}.
 */
export class LicenseAgent extends EventEmitter<LicenseAgentEvents> {
  readonly #core: AgentCore;
  readonly #telemetryActor: TelemetryActor = createTelemetryActor();
  /** The server's recording API; writes go straight into the telemetry actor's counters. */
  readonly telemetry: UsageCounters = countersOf(this.#telemetryActor);
  #startup: StartupResult | undefined;
  #runtime: AgentRuntime | undefined;
  #inspector: AgentInspector | undefined;
  #startedAt = 0;
  #stopped = false;
  #starting: Promise<void> | undefined;
  /** Settles once start() has read the state dir and either started the runtime or seen a stop. */
  #prepared: Promise<unknown> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: LicenseAgentOptions) {
    super();
    this.#core = createAgentCore(options, (next, previous) => this.#announce('licenseChanged', next, previous));
    linkLicenseMetrics(this, () => ({ view: statusView(this.#core, this.#runtime, this.#startup), refreshes: this.#runtime?.refreshCounts }));
  }

  /**
   * Resolves once the initial license is known. Never throws for license or network trouble.
   * Calling it again returns the same start; calling it after `stop()` does nothing.
   *
   * @example
   * await agent.start();
   * if (agent.license().tier === 'Community') console.warn('running as Community');
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) return;
    const { config, log, clock } = this.#core;
    this.#startedAt = clock.now();
    const preparing = prepareStartup({ ...this.#core, now: this.#startedAt });
    const inspecting = connectInspector(config, log);
    this.#prepared = Promise.allSettled([preparing, inspecting]);
    const [startup, inspector] = await Promise.all([preparing, inspecting]);
    this.#startup = startup;
    this.#inspector = inspector;
    // stop() may have come while the state dir was read: then nothing must be left running.
    if (this.#stopped) return;
    this.#telemetryActor.start();
    this.#runtime = new AgentRuntime({
      ...this.#core,
      startup,
      inspector,
      bodyFacts: () => this.#bodyFacts(),
      onStateChanged: (state, from) => this.#announce('stateChanged', state, from),
      onClockJump: () => this.notifyClockJump(),
    });
    await this.#runtime.start();
  }

  /** The effective license: a frozen object, replaced on change, never recomputed per call. */
  license(): EffectiveLicense {
    return this.#core.view.license;
  }

  /**
   * Whether the effective license grants feature `name` (`federation`, `jdbc_driver`, ...): a
   * property read, so that a server may ask on every query. Community grants none.
   */
  hasFeature(name: string): boolean {
    return this.#core.view.hasFeature(name);
  }

  /** A quota of the effective license: a number, or `null` for unlimited. */
  quota(name: QuotaName): number | null {
    return this.#core.view.license.quotas[name];
  }

  /** What the agent knows and will do: mode, state, license, schedule, telemetry, state dir (built on request). */
  status(): AgentStatus {
    return buildStatus(statusView(this.#core, this.#runtime, this.#startup));
  }

  /**
   * The metrics for a scrape (series in the README's Metrics): OpenMetrics text, or with `'prometheus'`
   * the Prometheus text format; before `start()` and after `stop()` too, from what is known.
   * @example response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE.openmetrics }).end(agent.metrics());
   */
  metrics(format: MetricsFormat = 'openmetrics'): string {
    return licenseMetricsText(this, format);
  }

  /** The row of `SHOW LICENSE`. */
  showLicense(): ShowLicenseRow {
    return showLicenseRow(this.#core.view.license, this.status());
  }

  /** `REFRESH LICENSE`: runs {@link refreshNow} and returns its row. */
  refreshLicense(): Promise<RefreshLicenseRow> {
    return refreshLicense(this.#core.view, this.status().mode, () => this.refreshNow());
  }

  /** Like REFRESH LICENSE: one refresh now, whatever the schedule, and what came of it. */
  refreshNow(): Promise<RefreshResult> {
    return refreshNow(this.#stopped ? undefined : this.#runtime?.actor, this.#core.view, this.#core.config);
  }

  /** The exact body the next refresh would send, and whether telemetry is in it. */
  previewTelemetry(): TelemetryPreview {
    return previewTelemetry(this.status(), this.#runtime?.actor.getSnapshot().context, this.#bodyFacts(), this.#core.config.telemetryEnabled);
  }

  /**
   * Tells the agent that the wall clock jumped (the agent notices a suspend by itself; this is for
   * embedders that learn of one first, and for tests): every timer is re-checked against the clock.
   */
  notifyClockJump(): void {
    if (this.#stopped || !this.#runtime) return;
    this.#core.clockHealth.checkLicense(this.#runtime.actor.getSnapshot().context.license?.claims.iat);
    this.#runtime.actor.send({ type: 'clock.wake' });
  }

  /** Clears every timer, aborts any request in flight and flushes the cache: the process can exit. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    // A start in progress finishes its disk reads first and starts nothing once it sees the stop;
    // a start already waiting for its first fetch is released by the runtime's stop below.
    await Promise.resolve();
    await this.#prepared;
    await this.#runtime?.stop();
    this.#telemetryActor.stop();
    await disconnectInspector(this.#inspector);
    await Promise.all([this.#startup?.cache?.flush(), this.#startup?.ledger?.flush()]);
    // The refresh lock is released once the cache is written: peers must not wait out its TTL.
    await this.#runtime?.released();
    this.#core.log.info('license agent stopped');
  }

  #bodyFacts(): BodyFacts {
    return {
      instanceId: this.#startup?.instanceId ?? '',
      version: this.#core.config.version,
      uptimeMs: this.#startup ? this.#core.clock.now() - this.#startedAt : 0,
      usage: this.#core.config.telemetryEnabled ? reportUsage(this.#telemetryActor) : undefined,
    };
  }

  /** Emits to the server's listeners; one that throws is logged, never allowed to break the agent. */
  #announce<K extends keyof LicenseAgentEvents>(event: K, ...args: LicenseAgentEvents[K]): void {
    emitSafely(this.#core.log, () => (this.emit as (event: K, ...args: LicenseAgentEvents[K]) => boolean)(event, ...args), event);
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
