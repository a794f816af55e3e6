/**
 * The agent once started: the statechart's actor with this agent's effects and observer, the
 * refresh path behind its fetch, the clock watchdog, and the license file it follows (when the
 * license key came from one). The facade (`license-agent.ts`) creates one when start-up has read
 * the state directory, and stops it with the agent.
 */
import type { AgentMode, RefreshOutcome } from '../../machines/context.js';
import { createEffects } from '../effects/create-effects.js';
import type { RefreshPath } from '../effects/refresh-path.js';
import type { AgentInspector } from '../inspector/inspector.js';
import type { BodyFacts } from '../telemetry/body.js';
import type { AgentCore } from './core.js';
import { createAgentActor, type AgentActor } from './machine.js';
import { nextOutcome, observeActor, type ObservedRefreshes, type RefreshCounts } from './observer.js';
import { refreshStateOf, type RefreshState } from './snapshot.js';
import { resolveMode, type StartupResult } from './startup.js';
import { networkNotice, type AgentView } from './status.js';
import { errorFields } from '../log.js';
import { startWakeWatchdog } from './wake-watchdog.js';
import { followLicenseFile, type FollowedLicenseFile } from './license-file-reload.js';

export interface RuntimeDeps extends AgentCore {
  readonly startup: StartupResult;
  readonly inspector: AgentInspector | undefined;
  readonly bodyFacts: () => BodyFacts;
  readonly onStateChanged: (state: RefreshState, previous: RefreshState | null) => void;
  readonly onClockJump: () => void;
}

export class AgentRuntime {
  readonly actor: AgentActor;
  readonly #observed: ObservedRefreshes;
  readonly #refreshPath: RefreshPath;
  readonly #deps: RuntimeDeps;
  #stopWatchdog: (() => void) | undefined;
  #stopFollowingFile: (() => Promise<void>) | undefined;
  #stopped = false;

  constructor(deps: RuntimeDeps) {
    this.#deps = deps;
    const { config, startup, log, clock, errors, clockHealth } = deps;
    const now = () => clock.now();
    const { effects, refreshPath } = createEffects({
      config,
      files: startup,
      verify: deps.verify,
      log,
      now,
      bodyFacts: deps.bodyFacts,
      onAnswer: (facts) => clockHealth.noteServerAnswer(facts),
      issuerNow: () => clockHealth.serverNow(),
      onEffectError: (error, effect) => errors.report(error, `${effect} effect`),
    });
    this.#refreshPath = refreshPath;
    const inspect = deps.inspector ? { inspect: deps.inspector.inspect } : {};
    const input = { ...startup.input, time: { now, random: deps.random } };
    this.actor = createAgentActor(effects, { input, clock, ...inspect });
    this.#observed = observeActor(this.actor, { view: deps.view, log, now, errors, onStateChanged: deps.onStateChanged });
  }

  /** The last refresh attempt's outcome, as the statechart reported it. */
  get lastOutcome(): RefreshOutcome | undefined {
    return this.#observed.last;
  }

  /** Refresh attempts that ended since start, by outcome (a view of the observer's live counts). */
  get refreshCounts(): RefreshCounts {
    return this.#observed.counts;
  }

  get mode(): AgentMode {
    return this.actor.getSnapshot().context.mode;
  }

  /**
   * Starts the statechart and the clock watchdog, and says in one line what the agent will do on
   * the network. Resolves once the first license's fetch ended, when start-up needs one.
   */
  async start(): Promise<void> {
    const { startup, log, view, errors } = this.#deps;
    const { needsFirstLicense, networkAllowed } = startup.input;
    const first = needsFirstLicense && networkAllowed ? nextOutcome(this.actor) : Promise.resolve(undefined);
    this.actor.start();
    // The observer saw the first snapshot already; following it again is free and covers a start without one.
    errors.guard('observer', () => view.follow(this.actor.getSnapshot()));
    const { context } = this.actor.getSnapshot();
    log.info(
      { mode: context.mode, licenseId: view.license.licenseId, tier: view.license.tier, instanceId: startup.instanceId },
      `license agent started in ${context.mode} mode; ${networkNotice(this.#deps.config, context)}`,
    );
    if (this.#deps.watchClock) {
      this.#stopWatchdog = startWakeWatchdog(this.#deps.clock, (driftMs) => {
        log.info({ driftMs }, 'the wall clock jumped (suspend or clock change); re-checking the license');
        this.#deps.onClockJump();
      });
    }
    const outcome = await first;
    if (outcome && !outcome.ok && view.license.licenseId === null) {
      log.warn({ err: errorFields(outcome.error) }, 'could not fetch license - falling back to Community mode');
    }
    // Only now: a replacement during the first fetch would abort it, and start() would wait for an
    // outcome that never comes. A change meanwhile is seen by the first check, which start() awaits.
    const followed = this.#stopped ? undefined : followConfiguredFile(this.#deps, this.actor);
    this.#stopFollowingFile = followed?.stop;
    await followed?.ready;
  }

  /** Stops the statechart (aborting any request in flight) and waits for the refresh path to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopWatchdog?.();
    await this.#stopFollowingFile?.();
    this.actor.send({ type: 'agent.stop' });
    this.actor.stop();
    // The stop aborted any request in flight: let it settle (release its lock, record what was sent).
    await this.#refreshPath.close();
  }

  /** Once the cache is written: the refresh lock is released, so peers need not wait out its TTL. */
  async released(): Promise<void> {
    await this.#refreshPath.coordinator?.idle();
  }
}

/** Follows the license file the license key came from, if it came from one. */
function followConfiguredFile(deps: RuntimeDeps, actor: AgentActor): FollowedLicenseFile | undefined {
  const { config, view } = deps;
  if (config.licenseFile === undefined || config.licenseKey === undefined) return undefined;
  return followLicenseFile({
    source: config.licenseFile,
    initialJwt: config.licenseKey,
    reloadOnSighup: config.reloadOnSighup,
    gracePeriodMs: config.gracePeriodMs,
    verify: deps.verify,
    now: () => deps.clock.now(),
    log: deps.log,
    errors: deps.errors,
    inForce: () => actor.getSnapshot().context.license,
    replace: (license) => view.announcingRenewal(() => actor.send({ type: 'license.replaced', license })),
  });
}

/** What `status()` is built from: before start, the mode the configuration alone points to. */
export function statusView(core: AgentCore, runtime: AgentRuntime | undefined, startup: StartupResult | undefined): AgentView {
  const { config, view, clock, clockHealth } = core;
  const snapshot = runtime?.actor.getSnapshot();
  return {
    config,
    mode: snapshot?.context.mode ?? resolveMode(config, config.licenseKey ? 'unverified' : undefined),
    state: snapshot ? refreshStateOf(snapshot) : 'created',
    // The stage the license was last seen in: a stopped agent still tells of the license it kept.
    validity: view.stage,
    context: snapshot?.context,
    lastOutcome: runtime?.lastOutcome,
    license: view.license,
    instanceId: startup?.instanceId ?? null,
    stateDir: startup?.stateDir ?? null,
    now: clock.now(),
    serverClockOffsetMs: clockHealth.serverOffsetMs,
    clockWarning: clockHealth.warning,
  };
}
