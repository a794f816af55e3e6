/**
 * Runs the license invariant over every scenario of the fault suites (`test/faults/**`), whatever
 * harness a suite starts its agents with: every `LicenseAgent` started in the test process is
 * watched, checked on each `licenseChanged` and `stateChanged`, just before its `stop()` and, if still
 * running, at the end of each test. A test with a disagreement fails in its `afterEach`; a file
 * whose agents all escaped the watch fails in `afterAll`. Listeners cannot fail a test themselves
 * (the agent logs and swallows what they throw), so they collect what they find.
 *
 * A vitest setup file, so it runs before every test file; it does nothing outside `test/faults`.
 * Set LICENSE_INVARIANT_REPORT=1 to print how many agents and checks each file had.
 */
import path from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import type { LicenseAgent } from '../../../src/index.js';

const FAULTS_DIR = path.resolve(import.meta.dirname, '..');
/** Fault suites whose agents all run in child processes, out of this process's reach. */
// Their agents run in child processes; the views those print are held to the same rules (spawn-agent.ts).
const CHILD_PROCESS_ONLY = new Set(['state/crash-safety.test.ts', 'licenses/date-overflow.test.ts', 'time/shifted-clock.test.ts']);

const testFile = path.relative(FAULTS_DIR, expect.getState().testPath ?? '');
if (!testFile.startsWith('..') && !path.isAbsolute(testFile)) await watchAgents(testFile);

async function watchAgents(file: string): Promise<void> {
  // Loaded here, not at the top: the other test files must not load the agent through this file.
  const [{ LicenseAgent }, { licenseDisagreements, readLicenseFacts }] = await Promise.all([
    import('../../../src/agent/license-agent.js'),
    import('./license-invariant.js'),
  ]);
  const running = new Set<LicenseAgent>();
  const found: string[] = [];
  const totals = { agents: 0, checks: 0 };
  const check = (agent: LicenseAgent, moment: string) => {
    totals.checks++;
    for (const disagreement of licenseDisagreements(readLicenseFacts(agent))) found.push(`${moment}: ${disagreement}`);
  };
  const watch = (agent: LicenseAgent) => {
    running.add(agent);
    totals.agents++;
    agent.on('licenseChanged', () => check(agent, 'on licenseChanged'));
    // Stopped included: a stopped agent keeps its last license and tells of it in every view.
    agent.on('stateChanged', (state) => check(agent, `on stateChanged to ${state}`));
  };
  const { start, stop } = LicenseAgent.prototype;
  LicenseAgent.prototype.start = function (this: LicenseAgent) {
    if (!running.has(this)) watch(this);
    return start.call(this);
  };
  LicenseAgent.prototype.stop = function (this: LicenseAgent) {
    if (running.delete(this)) check(this, 'before stop()');
    return stop.call(this);
  };
  afterEach(() => {
    for (const agent of running) check(agent, 'at the end of the test');
    const disagreements = found.splice(0);
    if (disagreements.length > 0) throw new Error(`the license views disagree:\n${disagreements.join('\n')}`);
  });
  afterAll(() => {
    if (process.env['LICENSE_INVARIANT_REPORT']) console.info(`license invariant: ${file}: ${totals.agents} agents, ${totals.checks} checks`);
    if (!CHILD_PROCESS_ONLY.has(file)) expect(totals.agents, `agents of ${file} checked by the license invariant`).toBeGreaterThan(0);
  });
}
