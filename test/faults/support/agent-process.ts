/**
 * A server process embedding the agent, for faults that must be seen from outside: a crash, or a
 * clock shifted by libfaketime. The parent passes the agent's options as JSON in
 * `AGENT_PROCESS_OPTIONS`, how long to run at most in `AGENT_PROCESS_RUN_MS` and what to wait for in
 * `AGENT_PROCESS_UNTIL` (`attempt`, `failure`); the process prints one JSON
 * line on stdout after `start()` resolved (`started`) and one before it exits (`final`), each with
 * `status()`, `license()` and the SHOW LICENSE row, and logs as JSON lines on stderr. It exits 0 after
 * a clean `stop()`; anything thrown into the host (an uncaught error) exits it with another code.
 * Usage: node --import tsx agent-process.ts
 */
import { pino } from 'pino';
import { createLicenseAgent, type LicenseAgent, type LicenseAgentOptions } from '../../../src/index.js';

function report(event: string, agent: LicenseAgent): void {
  const view = { event, now: new Date().toISOString(), status: agent.status(), license: agent.license(), row: agent.showLicense() };
  process.stdout.write(`${JSON.stringify(view)}\n`);
}

const options = JSON.parse(process.env['AGENT_PROCESS_OPTIONS'] ?? '{}') as LicenseAgentOptions;
const runMs = Number(process.env['AGENT_PROCESS_RUN_MS'] ?? '0');
const agent = createLicenseAgent({ env: {}, ...options, version: options.version ?? '1.2.3', logger: pino({ level: 'info' }, pino.destination(2)) });

/** `attempt`: until a refresh attempt is on record; `failure`: until one failed; else the whole run. */
const until = process.env['AGENT_PROCESS_UNTIL'];
const done = () => {
  const attempt = agent.status().lastAttempt;
  return (until === 'attempt' && attempt !== null) || (until === 'failure' && attempt?.ok === false);
};

await agent.start();
report('started', agent);
// A loaded machine may take a while to load the refresh path: wait for what the test is about,
// within `runMs`, rather than for a fixed time.
const deadline = Date.now() + runMs;
while (Date.now() < deadline && !done()) await new Promise((resolve) => setTimeout(resolve, 20));
report('final', agent);
await agent.stop();
