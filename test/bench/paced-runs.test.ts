import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../bench/harness/latency-recorder.js';
import { Measurement } from '../../bench/harness/measurement.js';
import type { BenchProducer } from '../../bench/harness/bench-system.js';
import { nowNs } from '../../bench/harness/clock.js';
import {
  batchIntervalNs, createRunWindow, produceLoop,
} from '../../bench/harness/produce-loop.js';
import { rateLabel, scenarioName } from '../../bench/harness/scenario.js';
import { parseSuiteOptions, scenarioMatrix } from '../../bench/harness/suite-options.js';
import { latencyScenarios } from '../../bench/peers.js';
import { scenario } from './fixtures.js';

describe('paced runs', () => {
  it('names the rate and spreads it over the producers', () => {
    const paced = { ...scenario('x'), rateMessagesPerSec: 10_000, producerCount: 2 };
    expect(scenarioName(paced)).toBe('100B p1 x2 acks=all @10k/s');
    expect(rateLabel(2_500_000)).toBe('2.5M/s');
    // 100-message batches at 5 000 msgs/s per producer: one batch every 20 ms.
    expect(batchIntervalNs(paced)).toBe(20e6);
    expect(batchIntervalNs(scenario('y'))).toBe(0);
  });

  it('parses --rate and --latency-rate; peers adds a paced one-consumer pass', () => {
    const defaults = parseSuiteOptions('peers', [], {
      messageSizesBytes: [100], producerCounts: [1], partitionCounts: [1],
      acksLevels: [1, 'all'], consumerCounts: [0], batchMessageCount: 100,
      inFlightBatchesMax: 8, warmupMs: 1000, durationMs: 5000, messageCountMax: 1e6,
      drainTimeoutMs: 1000, rateMessagesPerSec: 0, latencyRateMessagesPerSec: 10_000,
      systems: [],
    })!;
    expect(scenarioMatrix(defaults).every((s) => s.rateMessagesPerSec === 0)).toBe(true);
    const pass = latencyScenarios(defaults);
    expect(pass.map((s) => s.name)).toEqual(
      ['100B p1 x1 acks=1 +c1 @10k/s', '100B p1 x1 acks=all +c1 @10k/s',
        '100B p1 x1 acks=1 +c1 @100k/s']);
    expect(pass[0]!.batchMessageCount).toBe(10);
    const none = parseSuiteOptions('peers', ['--latency-rate', '0', '--rate', '500'], defaults)!;
    expect(latencyScenarios(none)).toEqual([]);
    expect(scenarioMatrix(none)[0]!.rateMessagesPerSec).toBe(500);
    expect(() => parseSuiteOptions('peers', ['--rate', '-1'], defaults)).toThrow(/--rate/);
  });

  it('never sends ahead of the schedule, however fast the system acknowledges', async () => {
    const paced = {
      ...scenario('paced'), batchMessageCount: 10, rateMessagesPerSec: 20_000, warmupMs: 0,
      durationMs: 100,
    };
    let sentBatches = 0;
    const producer: BenchProducer = {
      sendBatch: async () => { sentBatches++; },
      close: async () => undefined,
    };
    const measurement = new Measurement(paced.messageSizeBytes);
    const startNs = nowNs();
    await produceLoop(producer, paced, createRunWindow(paced, startNs), measurement);
    const elapsedNs = nowNs() - startNs;
    // Batch k is due at k × 0.5 ms: at most elapsed / interval + 1 of them can have been sent.
    expect(sentBatches).toBeGreaterThan(0);
    expect(sentBatches).toBeLessThanOrEqual(Math.floor(elapsedNs / batchIntervalNs(paced)) + 1);
    expect(measurement.ackedCount).toBe(measurement.sentCount);
  });
});

describe('latency histograms across threads', () => {
  it('adds an encoded histogram into another', () => {
    const here = new LatencyRecorder();
    const there = new LatencyRecorder();
    for (let us = 1; us <= 100; us++) here.recordNs(us * 1000);
    for (let us = 901; us <= 1000; us++) there.recordNs(us * 1000);
    here.addEncoded(there.encode());
    const summary = here.summary();
    expect(summary.count).toBe(200);
    expect(summary.maxUs).toBeGreaterThanOrEqual(999);
    expect(summary.p50Us).toBeLessThanOrEqual(101);
  });
});
