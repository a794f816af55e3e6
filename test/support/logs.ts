/**
 * Captured pino output: every record kept as pino wrote it and parsed, so that tests assert on
 * fields (`level`, `msg`, `err`, ...) and, where an operator's log file is the question, on the text.
 */
import { pino, type Level, type Logger } from 'pino';

export const INFO = 30;
export const WARN = 40;
export const ERROR = 50;

/** A pino record, parsed. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

export interface LogCapture {
  readonly logger: Logger;
  readonly lines: LogLine[];
  /** Every record exactly as pino wrote it: what an operator's log file would hold. */
  text(): string;
  /** Records at exactly this level. */
  at(level: number): LogLine[];
  /** `warn` records of failed refreshes (not the short-interval warning or other warnings). */
  refreshFailures(): LogLine[];
}

/** A pino logger at `level` (trace unless told) writing to memory. */
export function captureLogs(level: Level | 'silent' = 'trace'): LogCapture {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  // pino writes each record synchronously to any object with a write method (its DestinationStream).
  const stream = {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  };
  return {
    logger: pino({ level }, stream),
    lines,
    text: () => raw.join(''),
    at: (wanted) => lines.filter((line) => line.level === wanted),
    refreshFailures: () => lines.filter((line) => line.level === WARN && line.msg.startsWith('license refresh failed')),
  };
}
