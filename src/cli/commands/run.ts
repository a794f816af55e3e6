/**
 * `softclient4es-license run`: the agent in the foreground, refreshing on its schedule, until
 * SIGINT or SIGTERM; then a clean stop (timers cleared, request aborted, cache flushed) and exit 0.
 * Logs go to stdout: JSON lines, or readable ones on a terminal.
 */
import type { Level } from 'pino';
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
    // Signal handlers do not keep Node alive, and an agent with nothing to refresh (Community,
    // refresh disabled) arms no timer: without this the process would exit at once.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const onSignal = (signal: NodeJS.Signals) => {
      clearInterval(keepAlive);
      for (const each of SIGNALS) process.off(each, onSignal);
      for (const each of SIGNALS) process.once(each, () => process.exit(1));
      resolve(signal);
    };
    for (const each of SIGNALS) process.on(each, onSignal);
  });
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
    const started = agent.start();
    try {
      await Promise.race([signal, started]);
    } catch (error) {
      await agent.stop();
      throw error;
    }
    const stopSignal = await signal;
    logger.info({ signal: stopSignal }, `received ${stopSignal}; stopping`);
    await agent.stop();
    await started.catch(() => undefined);
    return 0;
  },
};
