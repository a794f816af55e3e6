/**
 * The rows every suite reports and the one table `npm run bench` prints. A row compares our figure
 * with its baseline from the same run; `pass` is `null` for a row that only informs.
 */

export interface Row {
  /** The benchmark of the issue (1 to 6). */
  readonly bench: number;
  readonly figure: string;
  readonly ours: string;
  readonly baseline: string;
  /** Ours divided by the baseline, formatted; `—` when the comparison is not a ratio. */
  readonly ratio: string;
  readonly target: string;
  readonly pass: boolean | null;
  /** The raw numbers behind the formatted cells, for results.json. */
  readonly values?: Readonly<Record<string, number | string | boolean | null>>;
}

export interface SuiteResult {
  readonly suite: string;
  readonly rows: readonly Row[];
  /** Whatever else the suite measured (per-round samples, wave histograms, ...), for results.json. */
  readonly details?: unknown;
  readonly elapsedMs?: number;
}

export function row(bench: number, figure: string, cells: Omit<Row, 'bench' | 'figure'>): Row {
  return { bench, figure, ...cells };
}

export function verdict(pass: boolean | null): string {
  if (pass === null) return 'info';
  return pass ? 'PASS' : 'FAIL';
}

/** A plain-text table, also valid as a Markdown table. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['#', 'figure', 'ours', 'baseline', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [String(r.bench), r.figure, r.ours, r.baseline, r.ratio, r.target, verdict(r.pass)]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}
