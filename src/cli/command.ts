/**
 * The shape of a command of the `softclient4es-license` binary: its name, its help, its own
 * options, and what it does. `main` parses the command line and hands a {@link CommandContext} over.
 */
import type { Level } from 'pino';
import type { GlobalValues, OptionsConfig, OptionValues } from './args.js';
import { createCliLogger, type CliLogger } from './logger.js';

export interface CommandContext {
  /** The command's option values (global ones included). */
  readonly values: OptionValues;
  readonly globals: GlobalValues;
  readonly env: Record<string, string | undefined>;
}

export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The full help of the command, `Usage:` line first. */
  readonly help: string;
  readonly options: OptionsConfig;
  /** Runs the command; resolves with the exit code. Throws only for usage, config or unexpected errors. */
  run(context: CommandContext): Promise<number>;
}

/**
 * The logger of a one-shot command: warnings and errors on stderr (info with `--verbose`),
 * readable on a terminal, JSON lines otherwise.
 */
export function oneShotLogger(context: CommandContext): CliLogger {
  const level: Level = context.globals.verbose ? 'info' : 'warn';
  // isTTY is undefined, not false, off a terminal, whatever @types/node says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
  return createCliLogger({ level, fd: 2, pretty: process.stderr.isTTY === true });
}
