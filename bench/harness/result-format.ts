/**
 * Number formatting shared by the table and the chart: short, aligned, units last.
 */

/** 1234567 → `1.23M`; 999 → `999`. */
export function formatCount(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (magnitude >= 1e3) return `${(value / 1e3).toFixed(2)}k`;
  return value.toFixed(magnitude >= 100 || magnitude === 0 ? 0 : 1);
}

/** Microseconds with the unit that keeps 2–3 significant digits: `850µs`, `1.20ms`, `2.5s`. */
export function formatMicros(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)}s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(us >= 1e5 ? 0 : us >= 1e4 ? 1 : 2)}ms`;
  return `${us.toFixed(us >= 100 ? 0 : us >= 10 ? 1 : 2)}µs`;
}

/** A ratio: `12.3×`, `0.45×`; `–` when either side is missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return '–';
  return `${ratio.toFixed(ratio >= 10 ? 1 : 2)}×`;
}

export function formatMebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)}MiB`;
}
