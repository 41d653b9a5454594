/** Mamba through the bench's own paths, briefly: producer threads, and the consumer gate. */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { runProducerThreads } from '../../bench/producer-threads/producer-threads.js';
import { mambaFactory } from '../../bench/systems/index.js';
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

  it('skips consumer scenarios with the reason until the broker has consumers', async () => {
    const system = mambaFactory.create(1)!;
    const reason = await system.unsupportedReason({ ...scenario('c'), consumerCount: 1 });
    const prototype = Broker.prototype as unknown as Record<string, unknown>;
    const hasConsumers = typeof prototype['consumer'] === 'function';
    if (hasConsumers) expect(reason).toBeUndefined();
    else expect(reason).toMatch(/broker\.consumer\(\)/);
    expect(await system.unsupportedReason(scenario('p'))).toBeUndefined();
    await system.teardown();
  });
});
