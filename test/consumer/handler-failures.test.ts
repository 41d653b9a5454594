/**
 * One behaviour for a failing handler in every mode of `run` (issue 17 item 9): retried up to
 * `maxAttempts` (default 3) with backoff, then `run` rejects with HANDLER_FAILED whose `cause`
 * is the handler's error; what completed before is committed when `run` rejects, the failed
 * record is not, and the next member gets it again.
 */
import { describe, expect, it } from 'vitest';
import { MambaError, type Broker } from '../../src/index.js';
import { openBroker } from './helpers.js';
import { waitUntil } from './helpers.js';

async function twoStoredBatches(topic: string): Promise<Broker> {
  const broker = await openBroker();
  await broker.createTopic(topic, { partitions: 1 });
  const producer = broker.producer({ acks: 1 });
  await producer.sendBatch(topic, [0, 1, 2].map((i) => ({ value: `a${i}` })));
  await producer.sendBatch(topic, [3, 4].map((i) => ({ value: `b${i}` })));
  await producer.close();
  return broker;
}

describe('a failing eachMessage handler', () => {
  it('fails run with HANDLER_FAILED after its attempts, commits the records before it',
    async () => {
      const broker = await twoStoredBatches('m');
      try {
        const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
        await consumer.subscribe('m');
        const thrown = new Error('cannot handle 3');
        const calls: number[] = [];
        const error = await consumer.run({
          maxAttempts: 2,
          eachMessage: (m) => {
            calls.push(m.offset);
            if (m.offset === 3) throw thrown;
          },
        }).then(() => undefined, (e: unknown) => e);
        expect(MambaError.is(error, 'HANDLER_FAILED')).toBe(true);
        expect((error as MambaError).cause).toBe(thrown);
        expect((error as MambaError).detail).toMatchObject({ partition: 0, offset: 3,
          attempts: 2 });
        expect(calls).toEqual([0, 1, 2, 3, 3]);
        expect(broker.committedOffset('g', 'm', 0)).toBe(3);
        await consumer.close();
        expect(broker.committedOffset('g', 'm', 0)).toBe(3);
      } finally {
        await broker.close();
      }
    });

  it('retries a handler that fails once, by default, and goes on', async () => {
    const broker = await twoStoredBatches('r');
    try {
      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe('r');
      const calls: number[] = [];
      let failed = false;
      const running = consumer.run({
        eachMessage: (m) => {
          calls.push(m.offset);
          if (m.offset === 1 && !failed) {
            failed = true;
            throw new Error('once');
          }
        },
      });
      await waitUntil(() => calls.length === 6);
      await consumer.close();
      await running;
      expect(calls).toEqual([0, 1, 1, 2, 3, 4]);
    } finally {
      await broker.close();
    }
  });
});

describe('a failing eachBatch handler', () => {
  it('fails run with HANDLER_FAILED and commits the batches before it', async () => {
    const broker = await twoStoredBatches('b');
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true,
        maxBatchRecords: 1 });
      await consumer.subscribe('b');
      const thrown = new Error('bad batch');
      let calls = 0;
      const error = await consumer.run({
        maxAttempts: 1,
        eachBatch: (batch) => {
          calls++;
          if (batch.messages[0].offset === 3) throw thrown;
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(error, 'HANDLER_FAILED')).toBe(true);
      expect((error as MambaError).cause).toBe(thrown);
      expect(calls).toBe(2);
      expect(broker.committedOffset('g', 'b', 0)).toBe(3);
      await consumer.close();
      const next = broker.consumer({ groupId: 'g', fromBeginning: true });
      await next.subscribe('b');
      const offsets: number[] = [];
      const running = next.run({ eachMessage: (m) => { offsets.push(m.offset); } });
      await waitUntil(() => offsets.length === 2);
      await next.close();
      await running;
      expect(offsets).toEqual([3, 4]);
    } finally {
      await broker.close();
    }
  });
});
