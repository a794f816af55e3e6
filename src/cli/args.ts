/**
 * The command line, read with `node:util` `parseArgs`: which command, its options, and the global
 * options every command takes. Anything unknown becomes a {@link UsageError} with a one-line
 * message, which `main` prints and turns into exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values: strings and booleans, as `parseArgs` gives them. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** Bad command-line input: the message is printed as one line, and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'trusted-keys': { type: 'string' },
} as const satisfies OptionsConfig;

export const GLOBAL_OPTIONS_HELP = `Global options:
  --trusted-keys <file.json>  verify licenses with the keys of this JWKS file instead of the
                              keys shipped with the package (a test or private issuer)
  --verbose                   log at info (run: debug) instead of warn (run: info)
  -h, --help                  show help
  --version                   print the version`;

export interface GlobalValues {
  readonly help: boolean;
  readonly version: boolean;
  readonly verbose: boolean;
  readonly trustedKeysFile: string | undefined;
}

export interface CommandLine {
  /** The command name as typed, or `undefined` when there is none. */
  readonly command: string | undefined;
  readonly globals: GlobalValues;
  /** Every option value, the command's own included. */
  readonly values: OptionValues;
}

const USAGE_HINT = '(see --help)';

/** A `parseArgs` error reduced to the one line we print. */
function usageErrorFrom(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(message ?? '')?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option '${quoted ?? '?'}' ${USAGE_HINT}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${quoted ?? '?'}' ${USAGE_HINT}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = (quoted ?? '?').split(' ')[0];
      if (/does not take an argument/.test(message ?? '')) return new UsageError(`option '${option}' takes no value ${USAGE_HINT}`);
      return new UsageError(`option '${option}' needs a value ${USAGE_HINT}`);
    }
    default:
      return new UsageError(`${message ?? String(error)} ${USAGE_HINT}`);
  }
}

/** The first positional argument, found without knowing the command's own options yet. */
function findCommand(args: readonly string[]): string | undefined {
  const { tokens } = parseArgs({ args: [...args], options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') return token.value;
    if (token.kind === 'option-terminator') return undefined;
  }
  return undefined;
}

/**
 * Parses `args` (without `node` and the script): finds the command, then parses strictly with the
 * global options and those of the command (`optionsOf(name)`; `undefined` for an unknown command).
 *
 * @throws {UsageError} for an unknown command, an unknown option, a missing value or a stray argument.
 *
 * @example
 * ```ts
 * parseCommandLine(['status', '--json'], (name) => (name === 'status' ? { json: { type: 'boolean' } } : undefined));
 * // { command: 'status', globals: { help: false, ... }, values: { json: true } }
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  optionsOf: (command: string) => OptionsConfig | undefined,
): CommandLine {
  const command = findCommand(args);
  const own = command === undefined ? {} : optionsOf(command);
  if (own === undefined) throw new UsageError(`unknown command '${command}' ${USAGE_HINT}`);
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { ...GLOBAL_OPTIONS, ...own }, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const stray = parsed.positionals.slice(command === undefined ? 0 : 1);
  if (stray.length > 0) throw new UsageError(`unexpected argument '${stray[0]}' ${USAGE_HINT}`);
  const { values } = parsed;
  return {
    command,
    values,
    globals: {
      help: values['help'] === true,
      version: values['version'] === true,
      verbose: values['verbose'] === true,
      trustedKeysFile: typeof values['trusted-keys'] === 'string' ? values['trusted-keys'] : undefined,
    },
  };
}
