/**
 * The CLI's pino logger: JSON lines, or readable ones on a terminal, written synchronously to
 * stderr (one-shot commands) or stdout (`run`). It also keeps the warnings and errors it saw, so
 * that `status` can show what went wrong (a malformed license key, an unusable state dir).
 */
import { pino, type Level, type Logger } from 'pino';
import { prettyDestination } from './pretty.js';

const WARN = 40;

/** A warning or error the agent logged, as `status` shows it. */
export interface LoggedProblem {
  readonly level: 'warn' | 'error' | 'fatal';
  /** The log message, followed by the error's message when the record carries one. */
  readonly message: string;
}

export interface CliLogger {
  readonly logger: Logger;
  /** Every warning and error logged so far, oldest first. */
  problems(): LoggedProblem[];
}

export interface CliLoggerOptions {
  readonly level: Level;
  /** 1 (stdout) or 2 (stderr). */
  readonly fd: 1 | 2;
  /** Readable lines instead of JSON; `isatty(fd)` is the usual choice. */
  readonly pretty: boolean;
}

function problemOf(line: string): LoggedProblem | undefined {
  let record: { level?: unknown; msg?: unknown; err?: { message?: unknown } };
  try {
    record = JSON.parse(line) as typeof record;
  } catch {
    return undefined;
  }
  if (typeof record.level !== 'number' || record.level < WARN) return undefined;
  const level = record.level >= 60 ? 'fatal' : record.level >= 50 ? 'error' : 'warn';
  const cause = typeof record.err?.message === 'string' ? `: ${record.err.message}` : '';
  return { level, message: `${typeof record.msg === 'string' ? record.msg : ''}${cause}` };
}

/**
 * @example
 * ```ts
 * const { logger, problems } = createCliLogger({ level: 'warn', fd: 2, pretty: process.stderr.isTTY });
 * ```
 */
export function createCliLogger(options: CliLoggerOptions): CliLogger {
  const seen: LoggedProblem[] = [];
  // Synchronous, so that nothing is lost when the process exits right after a command.
  const stream = pino.destination({ dest: options.fd, sync: true });
  const sink = options.pretty ? prettyDestination(stream) : stream;
  const destination = {
    write(line: string) {
      const problem = problemOf(line);
      if (problem) seen.push(problem);
      sink.write(line);
    },
  };
  return {
    logger: pino({ name: 'softclient4es-license', level: options.level }, destination),
    problems: () => [...seen],
  };
}
