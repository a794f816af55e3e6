/** Captured pino output for the schedule tests: every line parsed, so tests assert on fields. */
import { pino, type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const INFO = 30;
export const WARN = 40;
export const ERROR = 50;

/** A trace-level logger whose lines land, parsed, in `lines`. */
export function captureLogs(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  // pino writes each line synchronously to any object with a write method.
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  return { log: pino({ level: 'trace' }, stream), lines };
}
