/**
 * Runs `agent-process.ts` as a real child process and collects what it printed: the `started` and
 * `final` views, its log lines and its exit code. `faketime` shifts the child's wall clock with
 * libfaketime (see `faketime.ts`), as a VM restored from a snapshot would find it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LicenseAgentOptions } from '../../../src/index.js';
import type { LogLine } from '../../support/logs.js';
import { faketimeEnv } from './faketime.js';
import { licenseDisagreements, type LicenseFacts } from './license-invariant.js';

const FIXTURE = fileURLToPath(new URL('./agent-process.ts', import.meta.url));

export interface AgentView {
  readonly event: 'started' | 'final';
  /** The child's own clock reading when it printed this. */
  readonly now: string;
  readonly status: Record<string, unknown> & { lastAttempt: null | { ok: boolean; message: string | null } };
  readonly license: Record<string, unknown>;
  readonly row: Record<string, unknown>;
}

export interface AgentRun {
  readonly code: number | null;
  readonly started: AgentView | undefined;
  readonly final: AgentView | undefined;
  readonly logs: readonly LogLine[];
  /** Whatever stderr held that was not a log line: a stack trace, if the host was taken down. */
  readonly stderr: string;
  /** Where the views disagree with each other (the license invariant of the fault suites): none, or a bug. */
  readonly disagreements: readonly string[];
}

export interface SpawnOptions {
  readonly options: Omit<LicenseAgentOptions, 'logger' | 'clock' | 'random' | 'version'> & { readonly version?: string };
  /** How long the process runs after `start()` resolved, at most. */
  readonly runMs: number;
  /** Stop waiting once a refresh attempt is on record (`attempt`) or one failed (`failure`). */
  readonly until?: 'attempt' | 'failure';
  /** A libfaketime offset for the child's clock (`-1d`, `+3h`); absent: the real clock. */
  readonly faketime?: string;
  /** Called with each view as it is printed (to change the server's answers mid-run, say). */
  readonly onView?: (view: AgentView) => void;
}

function parseLines(text: string): { json: unknown[]; rest: string[] } {
  const json: unknown[] = [];
  const rest: string[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    try {
      json.push(JSON.parse(line));
    } catch {
      rest.push(line);
    }
  }
  return { json, rest };
}

export function runAgentProcess({ options, runMs, until, faketime, onView }: SpawnOptions): Promise<AgentRun> {
  const env = {
    PATH: process.env['PATH'],
    AGENT_PROCESS_OPTIONS: JSON.stringify(options),
    AGENT_PROCESS_RUN_MS: String(runMs),
    ...(until === undefined ? {} : { AGENT_PROCESS_UNTIL: until }),
    ...(faketime === undefined ? {} : faketimeEnv(faketime)),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const views: AgentView[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const view = JSON.parse(line) as AgentView;
      views.push(view);
      onView?.(view);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const { json, rest } = parseLines(stderr);
      resolve({
        code,
        started: views.find((view) => view.event === 'started'),
        final: views.find((view) => view.event === 'final'),
        logs: json as LogLine[],
        stderr: rest.join('\n'),
        disagreements: views.flatMap((view) => licenseDisagreements(view as unknown as LicenseFacts).map((found) => `${view.event}: ${found}`)),
      });
    });
  });
}
