/**
 * The arithmetic of the benchmarks: medians and quantiles of samples, and the formatting of the
 * figures that go into the table.
 */

export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (position - below);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** `1.23 ns`, `45.6 ns`, `2.20 µs`, `3.4 ms`: three significant figures in a readable unit. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0 s';
  const abs = Math.abs(ms);
  if (abs < 1e-3) return `${significant(ms * 1e6)} ns`;
  if (abs < 1) return `${significant(ms * 1e3)} µs`;
  if (abs < 1e3) return `${significant(ms)} ms`;
  return `${significant(ms / 1e3)} s`;
}

/** `45.0 s`, `59.5 min`, `23.9 h`: for spans of simulated time. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 120_000) return `${significant(ms / 1e3)} s`;
  if (ms < 7_200_000) return `${significant(ms / 60_000)} min`;
  return `${significant(ms / 3_600_000)} h`;
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${Math.round(bytes)} B`;
  if (abs < 1024 * 1024) return `${significant(bytes / 1024)} KiB`;
  return `${significant(bytes / (1024 * 1024))} MiB`;
}

export function significant(value: number, digits = 3): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 6));
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return `${significant(ratio)}×`;
}

export function formatPercent(fraction: number): string {
  return `${significant(fraction * 100)} %`;
}
