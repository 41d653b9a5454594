/** Mamba through the bench's own paths, briefly: producer threads, and a consumer. */
import { describe, expect, it } from 'vitest';
import { runProducerThreads } from '../../bench/producer-threads/producer-threads.js';
import { mambaFactory } from '../../bench/systems/index.js';
import { runScenario } from '../../bench/harness/scenario-runner.js';
import { scenario } from './fixtures.js';

describe('mamba in the bench', () => {
  it('adds up the tallies of two producer threads writing to four partitions', async () => {
    const result = await runProducerThreads({
      ...scenario('100B p4 x2 acks=1 threads'), acks: 1, partitionCount: 4, producerCount: 2,
      warmupMs: 50, durationMs: 300, batchMessageCount: 50,
    });
    expect(result.reason).toBe('');
    expect(result.status).toBe('ok');
    expect(result.messageCount).toBeGreaterThan(0);
    expect(result.messageCount % 50).toBe(0);
    // One latency sample per acknowledged batch, from both threads.
    expect(result.ackLatency.count).toBe(result.messageCount / 50);
  }, 30_000);

  it('runs a consumer scenario: the consumer reads every message the producer sent', async () => {
    const system = mambaFactory.create(1)!;
    const consume = { ...scenario('100B p1 x1 acks=1 +c1'), acks: 1 as const, consumerCount: 1,
      warmupMs: 0, durationMs: 300, batchMessageCount: 50, drainTimeoutMs: 10_000 };
    expect(await system.unsupportedReason(consume)).toBeUndefined();
    const result = await runScenario(system, consume);
    expect(result.reason).toBe('');
    expect(result.status).toBe('ok');
    expect(result.messageCount).toBeGreaterThan(0);
    expect(result.consumedCount).toBe(result.messageCount);
  }, 30_000);
});
