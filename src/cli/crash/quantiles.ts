/** Nearest-rank quantiles of a handful of durations (restarts number in the dozens). */
export interface Quantiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: rank(1) };
}
