/**
 * One set of rules for the offsets given to `seek` and `commit` (issue 17 item 10), as Kafka
 * has them: a bad offset is INVALID_OFFSET for both; a seek past the log end is reset by
 * `autoOffsetReset` when the partition is fetched, with an `offset-reset` event instead of a
 * silent replay; a commit past the high watermark is refused with OFFSET_OUT_OF_RANGE.
 */
import { describe, expect, it } from 'vitest';
import { MambaError, type Broker, type ConsumedMessage } from '../../src/index.js';
import { openBroker, produce } from './helpers.js';
import { waitUntil } from './helpers.js';

async function elevenRecords(): Promise<Broker> {
  const broker = await openBroker();
  await broker.createTopic('s', { partitions: 1 });
  await produce(broker, 's', 1, 11);
  return broker;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (MambaError.is(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('a seek past the log end', () => {
  it.each([['earliest', 0], ['latest', 11]] as const)(
    'is reset to the %s offset when fetched, and says so', async (autoOffsetReset, resetTo) => {
      const broker = await elevenRecords();
      try {
        const consumer = broker.consumer({ autoOffsetReset });
        await consumer.subscribe('s');
        expect(consumer.seek('s', 0, 1000)).toBe(1000);
        const reset = new Promise((resolve) => consumer.once('offset-reset', resolve));
        const delivered: number[] = [];
        const running = consumer.run({
          eachMessage: (m: ConsumedMessage) => { delivered.push(m.offset); },
        });
        expect(await reset).toEqual({ topic: 's', partition: 0, offset: 1000, resetTo,
          logStartOffset: 0, highWatermark: 11 });
        await produce(broker, 's', 1, 1, 'late');
        await waitUntil(() => delivered.includes(11));
        await consumer.close();
        await running;
        expect(delivered[0]).toBe(resetTo);
      } finally {
        await broker.close();
      }
    });
});

describe('offsets given to seek and commit', () => {
  it('are INVALID_OFFSET for both when negative or not an integer', async () => {
    const broker = await elevenRecords();
    try {
      const consumer = broker.consumer({ groupId: 'g' });
      await consumer.subscribe('s');
      for (const bad of [-1, 2.5, Number.NaN, Infinity, '3']) {
        expect(codeOf(() => consumer.seek('s', 0, bad as number))).toBe('INVALID_OFFSET');
        await expect(consumer.commit([{ topic: 's', partition: 0, offset: bad as number }]))
          .rejects.toMatchObject({ code: 'INVALID_OFFSET' });
      }
      await consumer.close();
    } finally {
      await broker.close();
    }
  });

  it('refuse a commit past the high watermark, and accept one at it', async () => {
    const broker = await elevenRecords();
    try {
      const consumer = broker.consumer({ groupId: 'g' });
      await consumer.subscribe('s');
      await expect(consumer.commit([{ topic: 's', partition: 0, offset: 999 }]))
        .rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE',
          detail: { offset: 999, highWatermark: 11 } });
      expect(broker.committedOffset('g', 's', 0)).toBeUndefined();
      await consumer.commit([{ topic: 's', partition: 0, offset: 11 }]);
      expect(broker.committedOffset('g', 's', 0)).toBe(11);
      await consumer.close();
    } finally {
      await broker.close();
    }
  });
});
