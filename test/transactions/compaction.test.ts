/**
 * Issue 16, compaction and transactions: the cleaner removes the records of aborted
 * transactions (and an aborted update never hides the committed value before it), keeps the
 * markers, and leaves data at or above the last stable offset (an open transaction) alone.
 */
import { describe, expect, it } from 'vitest';
import { Broker, type ConsumedMessage } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender, highWatermark } from './helpers.js';

const decoder = new TextDecoder();

/**
 * The first `count` (offset key=value) a consumer from the beginning hands out, and any more it
 * had in the same batches (an extra record fails the caller's comparison).
 */
async function readAll(broker: Broker, isolation: 'read_committed' | 'read_uncommitted',
  count: number): Promise<string[]> {
  const consumer = broker.consumer({ fromBeginning: true, isolation });
  await consumer.subscribe('c');
  const seen: string[] = [];
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  const running = consumer.run({
    eachBatch: (batch) => {
      for (const m of batch.messages as ConsumedMessage[]) {
        seen.push(`${m.offset} ${decoder.decode(m.key!)}=${decoder.decode(m.value!)}`);
      }
      if (seen.length >= count) resolveDone();
    },
  });
  await done;
  await consumer.close();
  await running;
  return seen;
}

describe('compaction of transactional data', () => {
  it('removes aborted records, keeps the committed value and the markers', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
    try {
      await broker.createTopic('c', { partitions: 1, cleanupPolicy: 'compact' });
      const plain = broker.producer({ acks: 'all' });
      const a = new TxnSender(broker, 901);
      const b = new TxnSender(broker, 902);
      await plain.send('c', { key: 'k', value: 'v1', partition: 0 });      // 0
      await a.send('c', 0, [{ key: 'k', value: 'aborted' }]);              // 1
      await a.marker('c', 0, false);                                        // 2
      await b.send('c', 0, [{ key: 'j', value: 'committed' }]);            // 3
      await b.marker('c', 0, true);                                         // 4
      await plain.send('c', { key: 'j', value: 'newest' , partition: 0 }); // 5
      const [result] = await broker.compact('c');
      expect(result.segmentsCleaned).toBeGreaterThan(0);
      // Committed readers see the committed value of k; the aborted update is gone for all.
      expect(await readAll(broker, 'read_committed', 2)).toEqual(['0 k=v1', '5 j=newest']);
      expect(await readAll(broker, 'read_uncommitted', 2)).toEqual(['0 k=v1', '5 j=newest']);
      expect(highWatermark(broker, 'c', 0)).toBe(6);
    } finally {
      await broker.close();
    }
  });

  it('leaves an open transaction and what follows it uncleaned', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
    try {
      await broker.createTopic('c', { partitions: 1, cleanupPolicy: 'compact' });
      const plain = broker.producer({ acks: 'all' });
      const open = new TxnSender(broker, 903);
      await plain.send('c', { key: 'k', value: 'v1', partition: 0 });     // 0
      await open.send('c', 0, [{ key: 'k', value: 'pending' }]);          // 1
      const [result] = await broker.compact('c');
      // The one sealed segment holds the open transaction: nothing may be cleaned yet.
      expect(result.segmentsCleaned).toBe(0);
      expect(await readAll(broker, 'read_uncommitted', 2)).toEqual(['0 k=v1', '1 k=pending']);
      await open.marker('c', 0, false);                                    // 2
      const [after] = await broker.compact('c');
      expect(after.segmentsCleaned).toBeGreaterThan(0);
      expect(after.recordsAfter).toBe(1);
      expect(await readAll(broker, 'read_uncommitted', 1)).toEqual(['0 k=v1']);
    } finally {
      await broker.close();
    }
  });
});
