/**
 * A consumer group's commit past the log end after a power cut.
 *
 * Consumers read up to the high-watermark, which with `acks: 1` runs ahead of the durable
 * offset, so a group can commit offsets that a power cut then takes from the log. The next
 * broker recovers a shorter log and its producers write new records at those offsets again.
 * A member resuming from the old commit would start past the new records and never deliver
 * them: acknowledged, durable records the group never sees. Kafka's consumers detect such a
 * truncation through leader epochs; here the broker moves any commit past a recovered log end
 * back to that end when it opens, before a member can join.
 *
 * The power cut is built by hand: the checkpoint saved when half the records were flushed is put
 * back after a clean close, and the unflushed tail past it is zeroed, as the crash test's `torn`
 * mode does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { damageUnflushedTail } from '../../src/cli/crash/torn-tail.js';
import { CHECKPOINT_FILE_NAME } from '../../src/segments/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const batches = 10;
const perBatch = 10;

async function produce(broker: Broker, label: string): Promise<void> {
  const producer = broker.producer({ acks: 1 });
  for (let b = 0; b < batches; b++) {
    await producer.sendBatch('t', Array.from({ length: perBatch }, (_, i) =>
      ({ partition: 0, value: `${label}-${b * perBatch + i}` })));
  }
  await producer.close();
}

describe('a group commit past the log end after a power cut', () => {
  it('does not make the group pass over the records written there again', async () => {
    const dataDir = tempDir();
    const partitionDir = path.join(dataDir, 't-0');
    const checkpointFile = path.join(partitionDir, CHECKPOINT_FILE_NAME);
    const total = batches * perBatch;

    let broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('t', { partitions: 1, segmentBytes: 1 << 20 });
    await produce(broker, 'before');
    await broker.checkpoint(); // everything so far is flushed: the durable offset is `total`
    const flushedCheckpoint = fs.readFileSync(checkpointFile);
    await produce(broker, 'lost'); // offsets total..2·total-1: in the page cache only
    const reader = broker.consumer({ groupId: 'g', fromBeginning: true, autoCommit: false });
    await reader.subscribe('t');
    let read = 0;
    for await (const _message of reader) if (++read === 2 * total) break;
    await reader.commit(); // the group has read everything: its commit is 2·total
    await reader.close();
    await broker.close();
    expect(fs.existsSync(checkpointFile)).toBe(true);

    // The power cut: the disk has the checkpoint of the flush, and not the pages after it.
    fs.writeFileSync(checkpointFile, flushedCheckpoint);
    const damage = damageUnflushedTail(partitionDir, total, 'zero', 7);
    expect(damage).toBeDefined();

    broker = await Broker.open({ dataDir, actors: 1 });
    try {
      const recoveredEnd = (await broker.describeTopic('t')).partitions[0].highWatermark;
      expect(recoveredEnd).toBeGreaterThanOrEqual(total);
      expect(recoveredEnd).toBeLessThan(2 * total);
      // The group had committed 2·total; opening the broker moved it back to the log end.
      expect(broker.committedOffset('g', 't', 0)).toBe(recoveredEnd);
      // The producers come back before the group does, and fill the cut offsets again.
      await produce(broker, 'after');
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('t');
      const after: string[] = [];
      for await (const message of consumer) {
        const value = new TextDecoder().decode(message.value!);
        if (value.startsWith('after-')) after.push(value);
        if (message.offset === recoveredEnd + total - 1) break;
      }
      await consumer.close();
      // Every record acknowledged after the restart is delivered to the group.
      expect(after).toEqual(Array.from({ length: total }, (_, i) => `after-${i}`));
    } finally {
      await broker.close();
    }
  });
});
