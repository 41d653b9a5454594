/**
 * Compaction through the broker: topic options validated and kept across a restart, the
 * background cleaner run by the dirty ratio, tombstones, and no retention on compact-only
 * topics. The 10 k keys × 1 M updates test is compaction-1m.slow.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Broker, MambaError, type TopicConfig } from '../../src/index.js';
import { keyCount, readTable, sendUpdates } from './compaction-helpers.js';
import { readManifest, writeManifest } from '../../src/supervisor/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

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
