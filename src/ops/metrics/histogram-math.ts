/**
 * Quantiles of the shared fixed-bucket histograms, estimated as Prometheus's
 * `histogram_quantile` does: find the bucket where the cumulative count reaches the rank and
 * interpolate linearly inside it. The +Inf bucket answers with the largest finite bound.
 */
import { HISTOGRAM_BOUNDS_SECONDS, HISTOGRAM_BUCKET_COUNT } from '../../shm/index.js';

/**
 * `buckets`: per-bucket (not cumulative) counts, `HISTOGRAM_BUCKET_COUNT` of them starting at
 * `start`. Returns seconds, or undefined when the buckets hold no observation.
 */
export function histogramQuantile(q: number, buckets: ArrayLike<number>, start = 0):
  number | undefined {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) total += buckets[start + i];
  if (total <= 0) return undefined;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < HISTOGRAM_BUCKET_COUNT; i++) {
    const count = buckets[start + i];
    if (cumulative + count >= rank && count > 0) {
      if (i === HISTOGRAM_BOUNDS_SECONDS.length) return HISTOGRAM_BOUNDS_SECONDS[i - 1];
      const lower = i === 0 ? 0 : HISTOGRAM_BOUNDS_SECONDS[i - 1];
      const upper = HISTOGRAM_BOUNDS_SECONDS[i];
      return lower + (upper - lower) * ((rank - cumulative) / count);
    }
    cumulative += count;
  }
  return HISTOGRAM_BOUNDS_SECONDS[HISTOGRAM_BOUNDS_SECONDS.length - 1];
}
