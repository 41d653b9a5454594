/**
 * When a consumer's records count as processed, and when they are committed (issue 17 item 1,
 * issue 10 gap 6): only once the loop body for a record completed; on revocation before the
 * partition is handed over; and before a clean close.
 */
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/index.js';
import { openBroker, produce } from './helpers.js';
import { waitUntil } from './helpers.js';

/** Automatic commits on a timer that never fires during a test: only the events commit. */
const rarely = { intervalMs: 3_600_000 };

async function fiveRecords(): Promise<Broker> {
  const broker = await openBroker();
  await broker.createTopic('t', { partitions: 1 });
  await produce(broker, 't', 1, 5);
  return broker;
}

describe('a for await loop over a group consumer', () => {
  it('does not commit the record whose loop body threw', async () => {
    const broker = await fiveRecords();
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('t');
      const failure = await (async () => {
        for await (const m of consumer) {
          if (m.offset === 2) throw new Error('failed at 2');
        }
      })().then(() => undefined, (error: Error) => error.message);
      expect(failure).toBe('failed at 2');
      await consumer.close();
      expect(broker.committedOffset('g', 't', 0)).toBe(2);
      const next = broker.consumer({ groupId: 'g', fromBeginning: true });
      await next.subscribe('t');
      for await (const m of next) {
        expect(m.offset).toBe(2);
        break;
      }
      await next.close();
    } finally {
      await broker.close();
    }
  });

  it('on break, counts the record as done only if the body committed it', async () => {
    const broker = await fiveRecords();
    try {
      const plain = broker.consumer({ groupId: 'plain', fromBeginning: true });
      await plain.subscribe('t');
      for await (const m of plain) if (m.offset === 2) break;
      await plain.close();
      expect(broker.committedOffset('plain', 't', 0)).toBe(2);

      const marked = broker.consumer({ groupId: 'marked', fromBeginning: true });
      await marked.subscribe('t');
      for await (const m of marked) {
        if (m.offset < 2) continue;
        await marked.commit([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }]);
        break;
      }
      await marked.close();
      expect(broker.committedOffset('marked', 't', 0)).toBe(3);
    } finally {
      await broker.close();
    }
  });
});

describe('commits of a group member without a commit of its own', () => {
  it('commits what was processed before a clean close', async () => {
    const broker = await fiveRecords();
    try {
      const consumer = broker.consumer({ groupId: 'c', fromBeginning: true, autoCommit: rarely });
      await consumer.subscribe('t');
      let seen = 0;
      const running = consumer.run({ eachMessage: () => { seen++; } });
      await waitUntil(() => seen === 5);
      expect(broker.committedOffset('c', 't', 0)).toBeUndefined();
      await consumer.close();
      await running;
      expect(broker.committedOffset('c', 't', 0)).toBe(5);
    } finally {
      await broker.close();
    }
  });

  it('commits what was processed when a partition is revoked, before it is handed over',
    async () => {
      const broker = await openBroker();
      try {
        await broker.createTopic('r', { partitions: 2 });
        await produce(broker, 'r', 2, 10);
        const first = broker.consumer({ groupId: 'r', fromBeginning: true, autoCommit: rarely });
        await first.subscribe('r');
        let seen = 0;
        const running = first.run({ eachMessage: () => { seen++; } });
        await waitUntil(() => seen === 10);
        const revoked = new Promise<void>((resolve) => first.once('revoked', () => resolve()));
        const second = broker.consumer({ groupId: 'r', fromBeginning: true });
        await second.subscribe('r');
        await revoked;
        await waitUntil(() => second.assignment().length > 0);
        const moved = second.assignment()[0].partition;
        // The partition handed to the second member starts where the first one stopped.
        expect(broker.committedOffset('r', 'r', moved)).toBe(5);
        await Promise.all([first.close(), second.close()]);
        await running;
      } finally {
        await broker.close();
      }
    });
});


describe('records handed out at once', () => {
  it('are whole stored batches up to maxBatchRecords (default 500), not a whole 1 MiB fetch',
    async () => {
      const broker = await openBroker();
      try {
        await broker.createTopic('m', { partitions: 1 });
        const producer = broker.producer({ acks: 1 });
        for (let i = 0; i < 120; i++) {
          await producer.sendBatch('m', Array.from({ length: 10 }, (_, j) =>
            ({ value: `v${i * 10 + j}` })));
        }
        await producer.close();
        const sizes = async (options: { maxBatchRecords?: number }) => {
          const consumer = broker.consumer({ fromBeginning: true, ...options });
          await consumer.subscribe('m');
          const seen: number[] = [];
          let total = 0;
          const running = consumer.run({ eachBatch: (batch) => {
            seen.push(batch.messages.length);
            total += batch.messages.length;
          } });
          await waitUntil(() => total === 1200);
          await consumer.close();
          await running;
          return seen;
        };
        const small = await sizes({ maxBatchRecords: 25 });
        expect(small.every((n) => n === 30)).toBe(true); // three stored batches of ten
        const byDefault = await sizes({});
        expect(byDefault.slice(0, 2)).toEqual([500, 500]);
      } finally {
        await broker.close();
      }
    });
});
