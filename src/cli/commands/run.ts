/**
 * `softclient4es-license run`: the agent in the foreground, refreshing on its schedule, until
 * SIGINT or SIGTERM; then a clean stop (timers cleared, request aborted, cache flushed) and exit 0.
 * Logs go to stdout: JSON lines, or readable ones on a terminal.
 */
import type { Level } from 'pino';
import type { LicenseAgent } from '../../agent.js';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import type { Command } from '../command.js';
import { createCliAgent, loadSettings } from '../config.js';
import { createCliLogger } from '../logger.js';

const HELP = `Usage: softclient4es-license run

Runs the license agent in the foreground, configured by the environment like the library, until
SIGINT (Ctrl-C) or SIGTERM; then stops cleanly and exits with code 0. Logs go to stdout at info
(debug with --verbose): JSON lines, or readable lines on a terminal.

${GLOBAL_OPTIONS_HELP}`;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Resolves with the first stop signal. A second signal while stopping exits at once with code 1,
 * for an operator who does not want to wait for a request to abort.
 */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const each of SIGNALS) process.off(each, onSignal);
      for (const each of SIGNALS) process.once(each, () => process.exit(1));
      resolve(signal);
    };
    for (const each of SIGNALS) process.on(each, onSignal);
  });
}

/**
 * Starts `agent`. `running` resolves once `agent.stop()` can reach the actor (its first state, or a
 * failed start); `start()` itself may wait much longer, for the first license.
 */
function startAgent(agent: LicenseAgent): { started: Promise<void>; running: Promise<void> } {
  const firstState = new Promise<void>((resolve) => agent.once('stateChanged', () => resolve()));
  const started = agent.start();
  return { started, running: Promise.race([firstState, started.catch(() => undefined)]) };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent in the foreground until SIGINT/SIGTERM',
  help: HELP,
  options: {},
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const level: Level = context.globals.verbose ? 'debug' : 'info';
    const { logger } = createCliLogger({ level, fd: 1, pretty: process.stdout.isTTY === true });
    const agent = createCliAgent(settings, logger);
    const signal = nextStopSignal();
    const { started, running } = startAgent(agent);
    try {
      await Promise.race([signal, started]);
    } catch (error) {
      await agent.stop();
      throw error;
    }
    const stopSignal = await signal;
    logger.info({ signal: stopSignal }, `received ${stopSignal}; stopping`);
    // A stop that came while start() was still reading the state dir would miss the actor.
    await running;
    await agent.stop();
    await started.catch(() => undefined);
    return 0;
  },
};
