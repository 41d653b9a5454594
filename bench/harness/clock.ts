/**
 * The one clock every stamp and latency in the bench is read from: `process.hrtime`, the
 * monotonic clock, which is the same in every worker thread of a process. A peer's consumer
 * runs in the bench process, so end-to-end stamps never cross a clock boundary.
 */
export function nowNs(): number {
  // A float64 holds integer nanoseconds exactly up to 2^53 ns (104 days of uptime).
  return Number(process.hrtime.bigint());
}
