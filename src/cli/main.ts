#!/usr/bin/env node
/**
 * The `softclient4es-license` binary: parses the command line, runs one command, and turns every
 * outcome into an exit code. Bad input never shows a stack trace: usage and configuration errors
 * print one line and exit 2, runtime failures print one line and exit 1.
 */
import { isLicenseError } from '../errors.js';
import { ENVIRONMENT_VARIABLES } from '../config/environment.js';
import { GLOBAL_OPTIONS_HELP, parseCommandLine, UsageError } from './args.js';
import type { Command } from './command.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { instanceIdCommand } from './commands/instance-id.js';
import { refreshCommand } from './commands/refresh.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { telemetryCommand } from './commands/telemetry.js';
import { packageVersion } from './config.js';
import { fail, print } from './output.js';

const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [statusCommand, refreshCommand, instanceIdCommand, telemetryCommand, doctorCommand, runCommand, demoCommand].map(
    (command) => [command.name, command],
  ),
);

function topLevelHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length));
  const commands = [...COMMANDS.values()].map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  const entries: Array<[string, string]> = [
    ...Object.entries(ENVIRONMENT_VARIABLES),
    ['SOFTCLIENT4ES_VERSION', "the version sent in request bodies (default: this package's version)"],
  ];
  const nameWidth = Math.max(...entries.map(([name]) => name.length));
  const variables = entries.map(([name, option]) => `  ${name.padEnd(nameWidth)}  ${option}`);
  return [
    'Usage: softclient4es-license <command> [options]',
    '',
    'Keeps a SoftClient4ES license fresh; this tool shows and checks what the agent does.',
    '',
    'Commands:',
    ...commands,
    '',
    GLOBAL_OPTIONS_HELP,
    '',
    'Configuration comes from the same environment variables as the library:',
    ...variables,
    '',
    'Run softclient4es-license <command> --help for the options of a command.',
  ].join('\n');
}

/** Runs the command line `args`; resolves with the exit code. */
async function main(args: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const line = parseCommandLine(args, (name) => COMMANDS.get(name)?.options);
  const command = line.command === undefined ? undefined : COMMANDS.get(line.command);
  if (line.globals.help) {
    print(command ? command.help : topLevelHelp());
    return 0;
  }
  if (line.globals.version) {
    print(packageVersion());
    return 0;
  }
  if (!command) throw new UsageError('missing command (see --help)');
  return command.run({ values: line.values, globals: line.globals, env });
}

/** The exit code for an error that reached the top: 2 for usage and configuration, 1 otherwise. */
function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return 2;
  if (isLicenseError(error) && error.code === 'ERR_LICENSE_CONFIG') return 2;
  return 1;
}

function report(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  fail(message.split('\n')[0] ?? message);
  return exitCodeOf(error);
}

process.on('uncaughtException', (error) => process.exit(report(error)));
process.on('unhandledRejection', (error) => process.exit(report(error)));

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
