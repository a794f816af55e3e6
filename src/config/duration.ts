/**
 * Durations as operators write them: `'24h'`, `'90s'`, `'1h30m'`, `'14d'`, `'500ms'`, or a number of
 * milliseconds.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Milliseconds in `value`, or `undefined` when it is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  if (text.length === 0) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let match: RegExpExecArray | null;
  while (PART.lastIndex < text.length && (match = PART.exec(text)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return PART.lastIndex === text.length ? Math.round(total) : undefined;
}

/** A duration for people: `'1d 2h'`, `'90s'`, `'250ms'`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
