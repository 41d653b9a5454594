import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../bench/harness/latency-recorder.js';

describe('LatencyRecorder', () => {
  it('summarises nanosecond samples as microsecond percentiles', () => {
    const recorder = new LatencyRecorder();
    // 1..1000 µs, one sample each: p50 is 500 µs, p99 990 µs, max 1000 µs.
    for (let us = 1; us <= 1000; us++) recorder.recordNs(us * 1000);
    const summary = recorder.summary();
    expect(summary.count).toBe(1000);
    // HDR keeps 3 significant digits: every figure is within 0.1 % of the exact one.
    expect(summary.p50Us).toBeCloseTo(500, -0.5);
    expect(summary.p99Us).toBeGreaterThanOrEqual(989);
    expect(summary.p99Us).toBeLessThanOrEqual(991);
    expect(summary.p999Us).toBeGreaterThanOrEqual(998);
    expect(summary.maxUs).toBeGreaterThanOrEqual(999.5);
    expect(summary.maxUs).toBeLessThanOrEqual(1001);
    expect(summary.meanUs).toBeCloseTo(500.5, 0);
  });

  it('reports zeros when empty and forgets samples on reset', () => {
    const recorder = new LatencyRecorder();
    expect(recorder.summary()).toEqual(
      { count: 0, p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0 });
    recorder.recordNs(5_000_000);
    recorder.reset();
    recorder.recordNs(2_000);
    expect(recorder.summary().maxUs).toBeCloseTo(2, 2);
  });

  it('counts a negative latency (stamps from skewed clocks) as zero', () => {
    const recorder = new LatencyRecorder();
    recorder.recordNs(-50);
    expect(recorder.summary().count).toBe(1);
    expect(recorder.summary().maxUs).toBe(0);
  });
});
