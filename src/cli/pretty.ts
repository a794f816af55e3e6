/**
 * Readable log lines for a terminal, without pino-pretty: each pino JSON record becomes
 * `time level msg key=value ...`. Only the operator's view changes; what pino produces is the same.
 */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every record has, or that say nothing to an operator at a terminal. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'component', 'v']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/** What pino's error serializer adds to `err`: the class name and the stack, noise at a terminal. */
const HIDDEN_ERROR_FIELDS = new Set(['type', 'stack']);

/** `key=value` pairs, one level of nesting flattened (`err.message="..."`). */
function formatFields(record: Record<string, unknown>): string[] {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(key) || value === undefined) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (key === 'err' && HIDDEN_ERROR_FIELDS.has(inner)) continue;
        pairs.push(`${key}.${inner}=${formatValue(innerValue)}`);
      }
    } else {
      pairs.push(`${key}=${formatValue(value)}`);
    }
  }
  return pairs;
}

/**
 * One pino JSON line as `time level msg key=value ...` (with a newline). A line that is not a JSON
 * object is returned as it is.
 *
 * @example
 * ```ts
 * formatLogLine('{"level":40,"time":0,"msg":"license refresh failed","status":503}\n');
 * // '1970-01-01T00:00:00.000Z WARN  license refresh failed status=503\n'
 * ```
 */
export function formatLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return line.endsWith('\n') ? line : `${line}\n`;
  const fields = record as Record<string, unknown>;
  const time = typeof fields['time'] === 'number' ? new Date(fields['time']).toISOString() : '-';
  const level = (LEVEL_NAMES[fields['level'] as number] ?? String(fields['level'])).padEnd(5);
  const msg = typeof fields['msg'] === 'string' ? fields['msg'] : '';
  return `${[time, level, msg, ...formatFields(fields)].filter((part) => part !== '').join(' ')}\n`;
}

/** A pino destination that writes {@link formatLogLine}'s form of each record to `target`. */
export function prettyDestination(target: { write(text: string): unknown }): { write(line: string): void } {
  return { write: (line) => void target.write(formatLogLine(line)) };
}
