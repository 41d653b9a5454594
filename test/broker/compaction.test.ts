/**
 * Compaction through the broker: topic options validated and kept across a restart, the
 * background cleaner run on demand (`broker.compact`) and by the dirty ratio, on a key space of
 * 10 k keys updated 1 M times: afterwards the topic holds exactly the latest value per key, a
 * consumer from the beginning rebuilds the same table as before, the disk holds less, and a
 * seek into a gap delivers the next record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Broker, MambaError, type Consumer, type TopicConfig } from '../../src/index.js';
import { readManifest, writeManifest } from '../../src/supervisor/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const keyCount = 10_000;
const updateCount = 1_000_000;
const sendBatchRecords = 2_000;

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

/** Sends updates `[first, last)`: update i sets `k<i % keyCount>` to `v<i>`. */
async function sendUpdates(open: Broker, topic: string, first: number, last: number):
  Promise<void> {
  const producer = open.producer({ acks: 1 });
  const sends: Promise<unknown>[] = [];
  for (let start = first; start < last; start += sendBatchRecords) {
    const records = [];
    for (let i = start; i < Math.min(last, start + sendBatchRecords); i += 1) {
      records.push({ key: `k${i % keyCount}`, value: `v${i}`, partition: 0 });
    }
    sends.push(producer.sendBatch(topic, records));
    if (sends.length >= 64) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
}

interface Read {
  table: Map<string, string>;
  offsets: number[];
}

/**
 * A consumer from `fromOffset` up to `lastOffset` (default: the last offset below the
 * high-watermark, which is the last record unless the cleaner removed it): the table it builds,
 * and the offsets it saw.
 */
async function readTable(open: Broker, topic: string, fromOffset = 0, lastOffset?: number):
  Promise<Read> {
  const end = lastOffset === undefined
    ? (await open.describeTopic(topic)).partitions[0].highWatermark : lastOffset + 1;
  const consumer: Consumer = open.consumer({ fromBeginning: true });
  await consumer.subscribe(topic);
  consumer.seek(topic, 0, fromOffset);
  const table = new Map<string, string>();
  const offsets: number[] = [];
  for await (const message of consumer) {
    offsets.push(message.offset);
    const key = message.key!.toString();
    if (message.value === null) table.delete(key);
    else table.set(key, message.value.toString());
    if (message.offset === end - 1) break;
  }
  await consumer.close();
  return { table, offsets };
}

function diskBytes(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).blocks * 512;
  return total;
}

describe('compaction through the broker', () => {
  it('validates the options at the edge and keeps them across a restart', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ cleanupPolicy: 'compacted' }, 'options.cleanupPolicy'],
      [{ minCleanableDirtyRatio: 1.5 }, 'options.minCleanableDirtyRatio'],
      [{ deleteRetentionMs: -1 }, 'options.deleteRetentionMs'],
      [{ cleanupPolicyy: 'compact' }, 'cleanupPolicy'],
    ];
    for (const [options, named] of bad) {
      const error = await broker.createTopic('t', options).catch((e: unknown) => e);
      expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as Error).message).toContain(named);
    }
    await broker.createTopic('plain');
    expect((await broker.describeTopic('plain')).config.cleanupPolicy).toBe('delete');
    await expect(broker.compact('plain')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await broker.createTopic('t', { cleanupPolicy: 'compact,delete',
      minCleanableDirtyRatio: 0.25, deleteRetentionMs: 1_000 });
    await broker.close();
    broker = await Broker.open({ dataDir, actors: 1 });
    expect((await broker.describeTopic('t')).config).toMatchObject({
      cleanupPolicy: 'compact,delete', minCleanableDirtyRatio: 0.25, deleteRetentionMs: 1_000,
    });
    // A manifest written before compaction existed: its topics open with the defaults.
    await broker.close();
    const manifest = readManifest(dataDir);
    for (const topic of manifest.topics) {
      const config: Partial<TopicConfig> = { ...topic.config };
      delete config.cleanupPolicy;
      delete config.minCleanableDirtyRatio;
      delete config.deleteRetentionMs;
      topic.config = config as TopicConfig;
    }
    writeManifest(dataDir, manifest);
    broker = await Broker.open({ dataDir, actors: 1 });
    expect((await broker.describeTopic('t')).config).toMatchObject({
      cleanupPolicy: 'delete', minCleanableDirtyRatio: 0.5, deleteRetentionMs: 86_400_000,
    });
  });

  it('keeps exactly the latest value of each of 10 k keys after 1 M updates', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    // A ratio of 1 keeps the periodic cleaner out of the way: the test cleans on demand.
    await broker.createTopic('table', { cleanupPolicy: 'compact', segmentBytes: 1 << 20,
      minCleanableDirtyRatio: 1 });
    await sendUpdates(broker, 'table', 0, updateCount);
    const before = await readTable(broker, 'table');
    expect(before.offsets.length).toBe(updateCount);
    expect(before.table.size).toBe(keyCount);
    const dir = path.join(dataDir, 'table-0');
    const diskBefore = diskBytes(dir);

    const [result] = await broker.compact('table');
    expect(result.recordsBefore).toBe(updateCount);
    expect(result.recordsAfter).toBe(keyCount);
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore / 50);

    const after = await readTable(broker, 'table');
    expect(after.table).toEqual(before.table);
    // Exactly one record per key, each the key's last update, at the offset it was given.
    expect(after.offsets).toEqual(Array.from({ length: keyCount },
      (_, i) => updateCount - keyCount + i));
    expect(diskBytes(dir)).toBeLessThan(diskBefore / 2);

    // A seek into a gap delivers the next record; appends go on at the old log end.
    const fromGap = await readTable(broker, 'table', 12_345);
    expect(fromGap.offsets[0]).toBe(updateCount - keyCount);
    await sendUpdates(broker, 'table', updateCount, updateCount + 10);
    expect((await broker.describeTopic('table')).partitions[0].highWatermark)
      .toBe(updateCount + 10);

    // After a restart the cleaned log recovers as it was.
    await broker.close();
    broker = await Broker.open({ dataDir, actors: 1 });
    const reopened = await readTable(broker, 'table');
    expect(reopened.offsets.length).toBe(keyCount + 10);
    expect(reopened.table.get('k5')).toBe(`v${updateCount + 5}`);
    expect(reopened.table.get('k10')).toBe(after.table.get('k10'));
  }, 60_000);

  it('cleans by itself once the dirty ratio passes minCleanableDirtyRatio', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('auto', { cleanupPolicy: 'compact', segmentBytes: 512 * 1024,
      minCleanableDirtyRatio: 0.1 });
    await sendUpdates(broker, 'auto', 0, 100_000);
    await broker.checkpoint();
    const dir = path.join(dataDir, 'auto-0');
    // The cleaner looks every few seconds; poll the log's size with a bound.
    const deadline = Date.now() + 20_000;
    let cleaned = false;
    while (!cleaned && Date.now() < deadline) {
      const stats = await broker.stats();
      const sizeBytes = stats[0].partitions[0].sizeBytes;
      cleaned = sizeBytes < 100_000 * 10;
      if (!cleaned) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(cleaned).toBe(true);
    const read = await readTable(broker, 'auto');
    expect(read.table.size).toBe(keyCount);
    expect(read.table.get('k1')).toBe('v90001');
    expect(fs.readdirSync(dir).filter((name) => name.includes('clean'))).toEqual([]);
  }, 30_000);

  it('removes tombstones once they are older than deleteRetentionMs', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    const deleteRetentionMs = 4_000;
    await broker.createTopic('people', { cleanupPolicy: 'compact', deleteRetentionMs,
      minCleanableDirtyRatio: 1 });
    const producer = broker.producer({ acks: 1 });
    await producer.sendBatch('people', Array.from({ length: 100 }, (_, i) =>
      ({ key: `p${i % 10}`, value: `v${i}`, partition: 0 })));
    // Keys p0..p4 are deleted.
    await producer.sendBatch('people', Array.from({ length: 5 }, (_, i) =>
      ({ key: `p${i}`, value: null, partition: 0 })));
    const deletedAtMs = Date.now();
    await producer.close();
    const expectedTable = new Map(Array.from({ length: 5 }, (_, i) =>
      [`p${i + 5}`, `v${90 + i + 5}`]));

    const [young] = await broker.compact('people');
    expect(young.tombstonesRemoved).toBe(0);
    const withTombstones = await readTable(broker, 'people');
    expect(withTombstones.table).toEqual(expectedTable);
    expect(withTombstones.offsets).toEqual([95, 96, 97, 98, 99, 100, 101, 102, 103, 104]);

    // The condition is the clock itself: wait until the tombstones are old enough.
    while (Date.now() - deletedAtMs <= deleteRetentionMs) {
      await new Promise((resolve) => setTimeout(resolve, deleteRetentionMs));
    }
    const [old] = await broker.compact('people');
    expect(old.tombstonesRemoved).toBe(5);
    // The log ends at 105 still; its last record is at 99 now.
    const cleaned = await readTable(broker, 'people', 0, 99);
    expect(cleaned.table).toEqual(expectedTable);
    expect(cleaned.offsets).toEqual([95, 96, 97, 98, 99]);
  });

  it("applies no retention to a 'compact' topic, as to a 'delete' one beside it", async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    const options = { segmentBytes: 256 * 1024, retentionMs: 1, minCleanableDirtyRatio: 1 };
    await broker.createTopic('deleted', { ...options, cleanupPolicy: 'delete' });
    await broker.createTopic('kept', { ...options, cleanupPolicy: 'compact' });
    await sendUpdates(broker, 'deleted', 0, 40_000);
    await sendUpdates(broker, 'kept', 0, 40_000);
    // One actor applies retention to both in the same pass: wait for it to trim 'deleted'.
    const deadline = Date.now() + 20_000;
    let trimmed = false;
    while (!trimmed && Date.now() < deadline) {
      trimmed = (await broker.describeTopic('deleted')).partitions[0].logStartOffset > 0;
      if (!trimmed) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(trimmed).toBe(true);
    expect((await broker.describeTopic('kept')).partitions[0].logStartOffset).toBe(0);
  });
});
