import { describe, expect, it } from 'vitest';
import {
  parseDurationMs, parseSuiteOptions, scenarioMatrix, type SuiteOptions,
} from '../../bench/harness/suite-options.js';
import { availableSuites, knownSuites } from '../../bench/main.js';
import { createMessageBatch, readStampNs, stampBatch } from '../../bench/harness/message-batch.js';

const defaults: SuiteOptions = {
  messageSizesBytes: [100], producerCounts: [1], partitionCounts: [1], acksLevels: [1],
  consumerCounts: [0], batchMessageCount: 100, inFlightBatchesMax: 8, warmupMs: 1000,
  durationMs: 5000, messageCountMax: 1000, drainTimeoutMs: 1000, rateMessagesPerSec: 0,
  latencyRateMessagesPerSec: 0, systems: [],
};

describe('suite options', () => {
  it('parses lists and durations over the defaults into the scenario matrix', () => {
    const options = parseSuiteOptions('peers',
      ['--sizes', '100,1024', '--acks', '1,all', '--duration', '2s', '--warmup', '250'],
      defaults)!;
    expect(options.durationMs).toBe(2000);
    expect(options.warmupMs).toBe(250);
    const names = scenarioMatrix(options).map((scenario) => scenario.name);
    expect(names).toEqual(
      ['100B p1 x1 acks=1', '100B p1 x1 acks=all', '1KiB p1 x1 acks=1', '1KiB p1 x1 acks=all']);
  });

  it('rejects bad values with the flag in the message', () => {
    expect(() => parseSuiteOptions('peers', ['--acks', '2'], defaults)).toThrow(/--acks/);
    expect(() => parseSuiteOptions('peers', ['--sizes', '4'], defaults)).toThrow(/--sizes/);
    expect(() => parseDurationMs('duration', '5 minutes')).toThrow(/--duration/);
    expect(() => parseSuiteOptions('peers', ['--bogus'], defaults)).toThrow();
  });
});

describe('message batches', () => {
  it('stamps every message and reads the stamp back from packed bytes and views', () => {
    const batch = createMessageBatch(3, 100);
    stampBatch(batch, 123_456_789);
    expect(batch.values.map((value) => readStampNs(value))).toEqual([123_456_789, 123_456_789,
      123_456_789]);
    expect(readStampNs(batch.packed, 200)).toBe(123_456_789);
    expect(batch.values[1]!.byteOffset).toBe(100);
  });
});

describe('dispatcher', () => {
  it('lists the known suites present first, then any other, never main', () => {
    const names = availableSuites(new URL('../../bench', import.meta.url).pathname, '.ts');
    expect(names).toContain('matrix');
    expect(names).toContain('peers');
    expect(names).toContain('scale');
    expect(names).not.toContain('ringbuffer-worker');
    const known: readonly string[] = knownSuites;
    const knownPresent = names.filter((name) => known.includes(name));
    expect(names.slice(0, knownPresent.length)).toEqual(
      known.filter((name) => knownPresent.includes(name)));
    expect(names).not.toContain('main');
  });
});
