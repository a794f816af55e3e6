/**
 * Everything the statechart is provided with, for one agent: the fetch (loaded with the first
 * refresh, see `refresh-path.ts`), persisting the license, and the log lines of failures and of the
 * license's life. `createEffects` is the one place they are put together.
 */
import type { AgentContext, ExpiryNoticeStage, FetchInput, FetchOutput } from '../../machines/context.js';
import { createPersistLicense } from './persist-license.js';
import { createLogRefreshFailure } from './refresh-failure-log.js';
import { RefreshPath, type RefreshPathDeps } from './refresh-path.js';
import { createValidityLogs } from './validity-log.js';

/** What an action effect is given: the machine's context at the time it runs. */
export interface EffectArgs {
  readonly context: AgentContext;
}

/** The fetch: a verified successor license, or `undefined` when the server said "no change". */
export type FetchLicense = (input: FetchInput, signal: AbortSignal) => Promise<FetchOutput>;

/** One agent's implementations of the statechart's placeholders. */
export interface AgentEffects {
  /**
   * Told of an effect that threw: a log line or a cache write that fails must not stop the
   * statechart (an error in an action puts the whole actor in error), so it is reported and skipped.
   */
  readonly onEffectError: (error: unknown, effect: string) => void;
  readonly fetchLicense: FetchLicense;
  readonly persistLicense: (args: EffectArgs) => void;
  readonly logRefreshFailure: (args: EffectArgs, failure: { error: unknown; forced: boolean }) => void;
  readonly logExpiryNotice: (args: EffectArgs, params: { stage: ExpiryNoticeStage }) => void;
  readonly logGrace: (args: EffectArgs) => void;
  readonly logDegraded: (args: EffectArgs) => void;
}

export interface EffectsDeps extends RefreshPathDeps {
  readonly onEffectError: AgentEffects['onEffectError'];
}

/** The effects, and the refresh path behind the fetch (which `stop()` must let settle). */
export function createEffects(deps: EffectsDeps): { effects: AgentEffects; refreshPath: RefreshPath } {
  const { files, log, now } = deps;
  const refreshPath = new RefreshPath(deps);
  const effects: AgentEffects = {
    fetchLicense: (input, signal) => refreshPath.fetchLicense(input, signal),
    onEffectError: deps.onEffectError,
    persistLicense: createPersistLicense(files.cache, files.keyFingerprint, () => refreshPath.coordinator),
    logRefreshFailure: createLogRefreshFailure(log, now),
    ...createValidityLogs(log, now),
  };
  return { effects, refreshPath };
}
