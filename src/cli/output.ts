/**
 * How commands print: aligned `label  value` tables and column tables for people, pretty-printed
 * JSON for `--json`. Everything goes to stdout; diagnostics go to stderr through {@link fail}.
 */

/** A `label  value` table: one row per line, labels padded to the longest. */
export function formatTable(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

/** A column table with a header line; each column as wide as its widest cell. */
export function formatColumns(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Writes `text` and a newline to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Writes `value` as indented JSON to stdout. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** One diagnostic line on stderr, prefixed with the program name. */
export function fail(message: string): void {
  process.stderr.write(`softclient4es-license: ${message}\n`);
}

/** A value for a table cell: `-` for nothing. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
