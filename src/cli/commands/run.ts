/**
 * `softclient4es-license run`: the agent in the foreground, refreshing on its schedule, until
 * SIGINT or SIGTERM; then a clean stop (timers cleared, request aborted, cache flushed) and exit 0.
 * Logs go to stdout: JSON lines, or readable ones on a terminal.
 */
import type { Level } from 'pino';
import { LicenseConfigError } from '../../errors.js';
import { startInspectorRelay, type InspectorRelay } from '../../inspector/inspector.js';
import { DEFAULT_INSPECT_PORT } from '../../config/options.js';
import { GLOBAL_OPTIONS_HELP, type OptionValues } from '../args.js';
import type { Command } from '../command.js';
import { createCliAgent, loadSettings } from '../config.js';
import { createCliLogger } from '../logger.js';

const HELP = `Usage: softclient4es-license run [--inspect [--inspect-port <port>]]

Runs the license agent in the foreground, configured by the environment like the library, until
SIGINT (Ctrl-C) or SIGTERM; then stops cleanly and exits with code 0. Logs go to stdout at info
(debug with --verbose): JSON lines, or readable lines on a terminal.

Options:
  --inspect               watch the statechart live in Stately's inspector: starts the inspector
                          relay on port ${DEFAULT_INSPECT_PORT} (needs the optional package @statelyai/inspect)
                          and logs the page to open in a browser; secrets are redacted
  --inspect-port <port>   the relay's port instead of ${DEFAULT_INSPECT_PORT}

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

/** The relay port `--inspect` asks for, or `undefined` without `--inspect`. */
function inspectPortOf(values: OptionValues): number | undefined {
  const raw = values['inspect-port'];
  if (values['inspect'] !== true) {
    if (raw !== undefined) throw new LicenseConfigError('--inspect-port', 'needs --inspect');
    return undefined;
  }
  if (raw === undefined) return DEFAULT_INSPECT_PORT;
  const port = Number(raw);
  if (!(Number.isInteger(port) && port > 0 && port < 65_536)) throw new LicenseConfigError('--inspect-port', `${JSON.stringify(raw)} is not a port number`);
  return port;
}

/** Starts the inspector relay for `--inspect`; a port in use or a missing package is a config error. */
async function startRelay(port: number): Promise<InspectorRelay> {
  try {
    return await startInspectorRelay(port);
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    throw new LicenseConfigError('--inspect', missing ? 'needs the optional package @statelyai/inspect (npm install @statelyai/inspect)' : (error as Error).message, { cause: error });
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent in the foreground until SIGINT/SIGTERM',
  help: HELP,
  options: { inspect: { type: 'boolean' }, 'inspect-port': { type: 'string' } },
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const inspectPort = inspectPortOf(context.values);
    const level: Level = context.globals.verbose ? 'debug' : 'info';
    // isTTY is undefined, not false, off a terminal, whatever @types/node says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
    const { logger } = createCliLogger({ level, fd: 1, pretty: process.stdout.isTTY === true });
    const relay = inspectPort === undefined ? undefined : await startRelay(inspectPort);
    if (relay) logger.info({ url: relay.pageUrl }, `live inspection: open ${relay.pageUrl} in a browser to watch the statechart (secrets redacted)`);
    const agent = createCliAgent(settings, logger, inspectPort === undefined ? {} : { inspect: { port: inspectPort } });
    const signal = nextStopSignal();
    const started = agent.start();
    try {
      await Promise.race([signal, started]);
    } catch (error) {
      await agent.stop();
      relay?.stop();
      throw error;
    }
    const stopSignal = await signal;
    logger.info({ signal: stopSignal }, `received ${stopSignal}; stopping`);
    await agent.stop();
    if (relay) {
      relay.stop();
      // The relay does not close the sockets of browsers still on its page: do not wait for them.
      setTimeout(() => process.exit(), 1_000).unref();
    }
    await started.catch(() => undefined);
    return 0;
  },
};
