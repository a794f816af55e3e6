/**
 * The states that fetch a license (the first license's, the regular refresh, the forced one), built
 * by one function so that the three cannot drift apart: they differ only in what their kind says.
 * Plain state config, typed against the machine's context and events; the names it uses (the
 * `fetchLicense` actor, the actions and the guard) are the ones `license-agent.machine.ts` defines.
 */
import type { DoneActorEvent, ErrorActorEvent } from 'xstate';
import type { AgentContext, AgentEvent, FetchInput, FetchOutput, RefreshOutcome } from './context.js';

const DECIDE_REFRESH = '#licenseAgent.refresh.deciding';

type FetchDone = DoneActorEvent<FetchOutput>;
type FetchFailed = ErrorActorEvent;

/** How an attempt came about: what its outcome says, and which backoff its failure takes. */
export interface FetchKind {
  /** The invoked fetch's id: its done and error events are `xstate.done.actor.<id>`. */
  readonly id: 'firstLicenseFetch' | 'regularFetch' | 'forcedFetch';
  /** Forced by the 48-hour threshold. */
  readonly forced: boolean;
  /** Part of the first-license phase: a failure backs off quickly, a success ends the phase. */
  readonly firstLicense: boolean;
}

/**
 * A state that fetches a license (the regular refresh, the forced one, the first license's), then
 * decides afresh on success and waits in its sibling `retryWait` on failure. One builder, so that the
 * three cannot drift apart: they differ only in what `kind` says.
 */
export function fetchingState(kind: FetchKind) {
  const succeeded = [
    { type: 'adoptLicense', params: ({ event }: { event: FetchDone }) => ({ license: event.output }) },
    'recordSuccess',
    'persistLicense',
  ] as const;
  const report = { type: 'reportOutcome', params: ({ context }: { context: AgentContext }) => outcome(context, kind, undefined) } as const;
  return {
    invoke: {
      id: kind.id,
      src: 'fetchLicense',
      input: ({ context, event }: { context: AgentContext; event: AgentEvent }): FetchInput => ({
        mode: context.mode,
        license: context.license,
        forced: kind.forced,
        manual: event.type === 'refresh.now',
        lastRefreshAt: context.lastRefreshAt,
      }),
      onDone: [
        // Only a license that came in re-checks validity: a "no change" (204) changes no stage.
        {
          guard: { type: 'broughtLicense', params: ({ event }: { event: FetchDone }) => ({ license: event.output }) },
          target: DECIDE_REFRESH,
          actions: [...succeeded, 'announceLicense', report],
        },
        { target: DECIDE_REFRESH, actions: [...succeeded, report] },
      ],
      onError: {
        target: 'retryWait',
        actions: [
          { type: 'recordFailure', params: ({ event }: { event: FetchFailed }) => ({ error: event.error, firstLicense: kind.firstLicense }) },
          { type: 'logRefreshFailure', params: ({ event }: { event: FetchFailed }) => ({ error: event.error, forced: kind.forced }) },
          { type: 'reportOutcome', params: ({ context, event }: { context: AgentContext; event: FetchFailed }) => outcome(context, kind, event.error ?? new Error('refresh failed')) },
        ],
      },
    },
  } as const;
}

/** Reported after `recordSuccess` or `recordFailure`: the instant they recorded, not a later reading. */
function outcome(context: AgentContext, kind: FetchKind, error: unknown): RefreshOutcome {
  return { ok: error === undefined, forced: kind.forced, at: context.lastAttemptAt ?? context.time.now(), error };
}
