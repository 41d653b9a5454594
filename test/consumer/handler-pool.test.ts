import { describe, expect, it, vi } from 'vitest';
import { MambaError, type Broker, type Message } from '../../src/index.js';
import { openBroker } from './helpers.js';

// The pool's workers load dist/: build first (`npm test` does).
const orderedHandler = new URL('../groups/fixtures/ordered-handler.mjs', import.meta.url);

function shared(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

/** Per partition, `values(p)` in order: offset o of partition p gets values(p)[o]. */
async function producePerPartition(broker: Broker, topic: string, values: string[][]) {
  const producer = broker.producer({ acks: 1 });
  await Promise.all(values.map((list, partition) => producer.sendBatch(topic,
    list.map((value, o): Message => ({
      partition, value, headers: o % 4 === 0 ? { h: 'x' } : {},
    })))));
  await producer.close();
}

describe('consumer handlers in a piscina pool', () => {
  it('keeps order within each partition and commits what was processed', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('h', { partitions: 3, segmentBytes: 1 << 20 });
      await producePerPartition(broker, 'h', [0, 1, 2].map((p) =>
        Array.from({ length: 300 }, (_, o) => `v${p}-${o}`)));
      const consumer = broker.consumer({
        groupId: 'hg', fromBeginning: true, maxBatchBytes: 2048,
      });
      await consumer.subscribe('h');
      const handlerData = { progress: shared(3), stats: shared(3), attempts: shared(1000) };
      const running = consumer.run({ handler: orderedHandler, concurrency: 3, handlerData });
      await vi.waitFor(() => expect(handlerData.stats[0]).toBe(900),
        { timeout: 30_000, interval: 20 });
      await consumer.close();
      await running;
      expect(handlerData.stats[1]).toBe(0);
      expect([...handlerData.progress]).toEqual([300, 300, 300]);
      expect([0, 1, 2].map((p) => broker.committedOffset('hg', 'h', p))).toEqual([300, 300, 300]);
    } finally {
      await broker.close();
    }
  });

  it('a failing handler stops the run and commits nothing past the failed record', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('f', { partitions: 2, segmentBytes: 1 << 20 });
      const bad = Array.from({ length: 21 }, (_, o) => (o === 10 ? 'poison' : `v1-${o}`));
      await producePerPartition(broker, 'f', [
        Array.from({ length: 20 }, (_, o) => `v0-${o}`), bad,
      ]);
      const consumer = broker.consumer({ groupId: 'fg', fromBeginning: true });
      await consumer.subscribe('f');
      const handlerData = { progress: shared(2), stats: shared(3), attempts: shared(100) };
      const error = await consumer.run({
        handler: orderedHandler, concurrency: 2, maxAttempts: 1, handlerData,
      }).then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(error, 'HANDLER_FAILED')).toBe(true);
      // What completed before the failure is committed when run rejects, not only at close.
      expect(broker.committedOffset('fg', 'f', 1)).toBe(10);
      await consumer.close();
      expect(broker.committedOffset('fg', 'f', 1)).toBe(10);
      expect(broker.committedOffset('fg', 'f', 0)).toBeLessThanOrEqual(20);

      // A later consumer of the group starts again at the failed record.
      const again = broker.consumer({ groupId: 'fg' });
      await again.subscribe('f');
      const seen: number[] = [];
      await again.run({
        eachMessage: (m) => {
          if (m.partition === 1) seen.push(m.offset);
          if (seen.length === 11) void again.close();
        },
      });
      expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i));
    } finally {
      await broker.close();
    }
  });
});
