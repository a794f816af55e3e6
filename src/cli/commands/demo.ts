/**
 * `softclient4es-license demo`: what `npm start` runs (`examples/demo/main.ts`, under tsx), in a child
 * process, since the demo runs as soon as it is loaded. It needs a clone of the repository: the
 * published package ships neither the demo's source nor tsx.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { GLOBAL_OPTIONS_HELP, UsageError, type OptionValues } from '../args.js';
import type { Command } from '../command.js';
import { packageRoot } from '../config.js';

const HELP = `Usage: softclient4es-license demo [--interval 10s] [--duration 45s] [--no-telemetry]

Runs the demo of npm start: a reference license server on loopback, a throwaway state directory,
and an agent in API-key mode under a small simulated query load, printing each transition and
every request body the server receives, until Ctrl-C or --duration. Needs a clone of the
repository (examples/demo and tsx).

Options:
  --interval <duration>  refresh interval (default 10s)
  --duration <duration>  stop after this long (default: until Ctrl-C)
  --no-telemetry         send no usage counters

${GLOBAL_OPTIONS_HELP}`;

/** The demo's own arguments, checked here so that a bad one is a one-line usage error. */
function demoArgs(values: OptionValues): string[] {
  const args: string[] = [];
  for (const name of ['interval', 'duration'] as const) {
    const value = values[name];
    if (typeof value !== 'string') continue;
    if (parseDuration(value) === undefined) throw new UsageError(`--${name}: '${value}' is not a duration (e.g. 10s, 2m)`);
    args.push(`--${name}`, value);
  }
  if (values['no-telemetry'] === true) args.push('--no-telemetry');
  return args;
}

/** The tsx loader as a URL that `node --import` accepts from any working directory. */
function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

function runChild(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal; a SIGTERM sent to us alone is passed on.
    const forward = (signal: NodeJS.Signals) => void child.kill(signal);
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the demo of npm start (needs a clone of the repository)',
  help: HELP,
  options: {
    interval: { type: 'string' },
    duration: { type: 'string' },
    'no-telemetry': { type: 'boolean' },
  },
  async run(context) {
    const args = demoArgs(context.values);
    const root = packageRoot();
    const script = path.join(root, 'examples', 'demo', 'main.ts');
    const loader = tsxLoader();
    if (!existsSync(script) || loader === undefined) {
      throw new Error(`the demo needs a clone of the repository with its dev dependencies (${existsSync(script) ? 'tsx is not installed' : `${script} not found`})`);
    }
    return runChild(process.execPath, ['--import', loader, script, ...args], root);
  },
};
